using System.Globalization;
using Cohortly.Modeling.Drift;
using Xunit.Abstractions;

namespace Cohortly.Modeling.Tests.Drift;

/// <summary>
/// Seeded simulations of the drift monitor's detectors with their default thresholds (<see cref="DriftMonitorOptions.Default"/>):
/// a change planted in one cohort's behaviour is found within a bounded delay, and stationary streams raise nothing over
/// 200 seeds. Each test prints its measured delays and false-alarm rate (docs/benchmarks-modeling.md, "Drift detection").
/// </summary>
public sealed class DriftSimulationTests(ITestOutputHelper output)
{
    private const int Seeds = 200;

    /// <summary>Minutes before the planted change: the window (180 minutes) is full of the old regime.</summary>
    private const int ChangeMinute = 180;

    /// <summary>Live users before the planted change: the live sample (the last 1,000 users) is all old regime.</summary>
    private const int ChangeUser = 1000;
    private const int LiveSample = 1000;
    private const int CheckEvery = 50;

    [Fact]
    public void A_reward_rate_drop_in_one_cohort_is_found_within_an_hour_and_in_no_other_cohort()
    {
        var delays = new List<double>();
        var impressions = new List<double>();
        var falseAlarms = 0;
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seed);
            var monitor = new DriftMonitor();
            int? found = null;
            long after = 0;
            for (var minute = 0; minute < ChangeMinute + 120 && found is null; minute++)
            {
                var shifted = DriftWorlds.Minute(random, minute < ChangeMinute ? 0.05 : 0.035, 0.02);
                var steady = DriftWorlds.Minute(random, 0.05, 0.02);
                if (minute >= ChangeMinute)
                {
                    after += shifted.Impressions;
                }

                foreach (var d in monitor.ObserveMinute(new Dictionary<int, MinuteOutcome> { [1] = shifted, [2] = steady }))
                {
                    if (d.Detector == DriftDetectorKind.RewardRate && d.CohortId == 1 && minute >= ChangeMinute)
                    {
                        found = minute;
                        Assert.True(d.Value < 0 && d.Value < d.Threshold, $"seed {seed}: a drop is reported as a negative difference beyond the negative bound ({d.Value} vs {d.Threshold})");
                    }
                    else
                    {
                        falseAlarms++;
                    }
                }
            }

            Assert.True(found is not null, $"seed {seed}: a 30 % drop of one cohort's CTR was not found within 120 minutes");
            delays.Add(found!.Value - ChangeMinute + 1);
            impressions.Add(after);
        }

        Report("reward rate, CTR 5.0 % → 3.5 % in one of two cohorts, 250–500 impressions/min", delays, "minutes", impressions, "impressions", falseAlarms);
        Assert.Equal(0, falseAlarms);
        Assert.True(delays.Max() <= 60, $"slowest detection took {delays.Max()} minutes");
    }

    [Fact]
    public void A_fallback_share_jump_in_one_cohort_is_found_within_half_an_hour()
    {
        var delays = new List<double>();
        var responses = new List<double>();
        var pooled = new List<double>();
        var falseAlarms = 0;
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(1000 + seed);
            var monitor = new DriftMonitor();
            int? found = null;
            int? foundPooled = null;
            long after = 0;
            for (var minute = 0; minute < ChangeMinute + 120 && (found is null || foundPooled is null); minute++)
            {
                var shifted = DriftWorlds.Minute(random, 0.05, minute < ChangeMinute ? 0.02 : 0.10);
                var steady = DriftWorlds.Minute(random, 0.05, 0.02);
                if (minute >= ChangeMinute && found is null)
                {
                    after += shifted.Exposures;
                }

                foreach (var d in monitor.ObserveMinute(new Dictionary<int, MinuteOutcome> { [1] = shifted, [2] = steady }))
                {
                    if (d.Detector == DriftDetectorKind.FallbackShare && d.CohortId == 1 && minute >= ChangeMinute)
                    {
                        found ??= minute;
                    }
                    else if (d.Detector == DriftDetectorKind.FallbackShare && d.CohortId is null && minute >= ChangeMinute)
                    {
                        foundPooled ??= minute;
                    }
                    else
                    {
                        falseAlarms++;
                    }
                }
            }

            Assert.True(found is not null, $"seed {seed}: a fallback share jump 2 % → 10 % was not found within 120 minutes");
            delays.Add(found!.Value - ChangeMinute + 1);
            responses.Add(after);
            pooled.Add((foundPooled ?? (ChangeMinute + 120)) - ChangeMinute + 1);
        }

        Report("fallback share, 2 % → 10 % of responses in one of two cohorts, 60–100 responses/min", delays, "minutes", responses, "responses", falseAlarms);
        Report("fallback share over all cohorts (the same run)", pooled, "minutes", null, null, 0);
        Assert.Equal(0, falseAlarms);
        Assert.True(delays.Max() <= 30, $"slowest detection took {delays.Max()} minutes");
    }

    [Fact]
    public void Stationary_outcome_streams_raise_no_rate_detection_over_200_seeds_of_a_day()
    {
        var alarmedSeeds = 0;
        var alarmedBoth = 0;
        var both = DriftMonitorOptions.Default with { RewardRate = DriftMonitorOptions.Default.RewardRate with { Direction = ChangeDirection.Both } };
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(5000 + seed);
            var monitor = new DriftMonitor();
            var twoSided = new DriftMonitor(both);
            var alarmed = false;
            var alarmedTwoSided = false;
            for (var minute = 0; minute < 1440; minute++)
            {
                var minutes = new Dictionary<int, MinuteOutcome>
                {
                    [1] = DriftWorlds.Minute(random, 0.05, 0.02),
                    [2] = DriftWorlds.Minute(random, 0.02, 0.10),
                };
                alarmed |= monitor.ObserveMinute(minutes).Count > 0;
                alarmedTwoSided |= twoSided.ObserveMinute(minutes).Count > 0;
            }

            alarmedSeeds += alarmed ? 1 : 0;
            alarmedBoth += alarmedTwoSided ? 1 : 0;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stationary rate streams, 1,440 minutes × 2 cohorts × {Seeds} seeds: seeds with any detection {alarmedSeeds}/{Seeds} (defaults), {alarmedBoth}/{Seeds} (reward rate in both directions)"));
        Assert.True(alarmedSeeds <= 2, $"{alarmedSeeds} of {Seeds} stationary days raised a detection");
        Assert.True(alarmedBoth <= 2, $"{alarmedBoth} of {Seeds} stationary days raised a two-sided detection");
    }

    [Fact]
    public void A_spend_change_of_one_behaviour_type_moves_the_feature_psi_within_bounded_users()
    {
        // The planted change: type 0 (40 % of users) spends three times as much.
        var (delays, falseAlarms) = PopulationShift(
            9000,
            DriftDetectorKind.FeaturePsi,
            (random, type, changed) => DriftWorlds.User(random, type, changed && type == 0 ? 3 : 1),
            "a threefold spend of one type",
            d => Assert.Equal("psi(monetary)", d.Statistic));

        Report("feature PSI, one type (40 % of users) spends 3×; live sample = last 1,000 users, checked every 50", delays, "users after the change", null, null, falseAlarms);
        Assert.Equal(0, falseAlarms);
        Assert.True(delays.Max() <= 1000, $"slowest detection needed {delays.Max()} users");
    }

    [Fact]
    public void A_shift_of_users_between_behaviour_types_moves_the_cohort_shares_within_bounded_users()
    {
        // The planted change: type 1's users (30 %) now behave like type 3 (10 %).
        var (delays, falseAlarms) = PopulationShift(
            13000,
            DriftDetectorKind.CohortShare,
            (random, type, changed) => DriftWorlds.User(random, changed && type == 1 ? 3 : type),
            "30 % of users moving between types");

        Report("cohort-share PSI, 30 % of users move from type b to type d; live sample = last 1,000 users, checked every 50", delays, "users after the change", null, null, falseAlarms);
        Assert.Equal(0, falseAlarms);
        Assert.True(delays.Max() <= 1000, $"slowest detection needed {delays.Max()} users");
    }

    /// <summary>
    /// Per seed: a reference population of 2,000 users, then live users of random behaviour types drawn by
    /// <paramref name="user"/> (told whether the planted change has begun, at <see cref="ChangeUser"/>), checked every
    /// <see cref="CheckEvery"/> users once the live sample is full, until <paramref name="detector"/> fires after the
    /// change (each such detection passes <paramref name="check"/>) or 3,000 users after it (the seed fails, saying what
    /// was <paramref name="missed"/>). Returns the delays in users after the change and the detections before it.
    /// </summary>
    private static (List<double> Delays, int FalseAlarms) PopulationShift(int seedBase, DriftDetectorKind detector, Func<Random, int, bool, float[]> user, string missed, Action<DriftDetection>? check = null)
    {
        var delays = new List<double>();
        var falseAlarms = 0;
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(seedBase + seed);
            var (model, counts, reference) = DriftWorlds.Population(random, 2000);
            var monitor = new DriftMonitor();
            var live = new Queue<float[]>(LiveSample);
            int? found = null;
            for (var u = 0; u < ChangeUser + 3000 && found is null; u++)
            {
                Push(live, user(random, DriftWorlds.Type(random), u >= ChangeUser));
                if ((u + 1) % CheckEvery != 0 || live.Count < LiveSample)
                {
                    continue;
                }

                foreach (var d in monitor.CheckPopulation(model, counts, reference, [.. live]))
                {
                    if (d.Detector == detector && u >= ChangeUser)
                    {
                        check?.Invoke(d);
                        found ??= u - ChangeUser + 1;
                    }
                    else if (u < ChangeUser)
                    {
                        falseAlarms++;
                    }
                }
            }

            Assert.True(found is not null, $"seed {seed}: {missed} was not found within 3,000 users");
            delays.Add(found!.Value);
        }

        return (delays, falseAlarms);
    }

    [Fact]
    public void Stationary_live_samples_raise_no_population_detection_over_200_seeds()
    {
        var alarmedSeeds = new int[2];
        var checks = 0;
        var worstFeature = 0.0;
        var worstShares = 0.0;
        for (var seed = 1; seed <= Seeds; seed++)
        {
            var random = new Random(17000 + seed);
            var (model, counts, reference) = DriftWorlds.Population(random, 2000);
            var monitor = new DriftMonitor();
            var live = new Queue<float[]>(LiveSample);
            var alarmed = new bool[2];
            for (var user = 0; user < 5000; user++)
            {
                Push(live, DriftWorlds.User(random, DriftWorlds.Type(random)));
                if ((user + 1) % CheckEvery != 0 || live.Count < 200)
                {
                    continue;
                }

                checks++;
                var sample = live.ToArray();
                foreach (var f in FeatureReference.Compare(reference, sample))
                {
                    worstFeature = Math.Max(worstFeature, f.Index);
                }

                worstShares = Math.Max(worstShares, CohortShares.Compare(counts, model, sample)!.Index);
                foreach (var d in monitor.CheckPopulation(model, counts, reference, sample))
                {
                    alarmed[d.Detector == DriftDetectorKind.FeaturePsi ? 0 : 1] = true;
                }
            }

            alarmedSeeds[0] += alarmed[0] ? 1 : 0;
            alarmedSeeds[1] += alarmed[1] ? 1 : 0;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stationary live samples (200–1,000 users, reference 2,000), {checks} checks over {Seeds} seeds: seeds with a feature-PSI detection {alarmedSeeds[0]}/{Seeds}, with a cohort-share detection {alarmedSeeds[1]}/{Seeds}; largest PSI seen: features {worstFeature:F3}, cohort shares {worstShares:F3}"));
        Assert.Equal(0, alarmedSeeds[0]);
        Assert.Equal(0, alarmedSeeds[1]);
    }

    private static void Push(Queue<float[]> live, float[] user)
    {
        if (live.Count == LiveSample)
        {
            live.Dequeue();
        }

        live.Enqueue(user);
    }

    private void Report(string scenario, List<double> delays, string unit, List<double>? events, string? eventUnit, int falseAlarms)
    {
        delays.Sort();
        var line = string.Create(CultureInfo.InvariantCulture, $"{scenario}: {delays.Count} seeds, delay ({unit}) mean {delays.Average():F1}, median {delays[delays.Count / 2]:F0}, p95 {delays[(int)(0.95 * (delays.Count - 1))]:F0}, max {delays[^1]:F0}");
        if (events is not null)
        {
            events.Sort();
            line += string.Create(CultureInfo.InvariantCulture, $"; {eventUnit} after the change mean {events.Average():F0}, p95 {events[(int)(0.95 * (events.Count - 1))]:F0}, max {events[^1]:F0}");
        }

        output.WriteLine(line + string.Create(CultureInfo.InvariantCulture, $"; detections elsewhere or before the change: {falseAlarms}"));
    }
}
