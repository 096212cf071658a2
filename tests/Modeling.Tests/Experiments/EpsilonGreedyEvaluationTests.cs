using System.Globalization;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Exploration;
using Xunit.Abstractions;

namespace Cohortly.Modeling.Tests.Experiments;

public sealed class EpsilonGreedyEvaluationTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    // Per-arm click rates of the simulated world; arm 7 is old and never shown (ineligible), arm 6 is new.
    private static readonly double[] ClickRates = [0.02, 0.04, 0.12, 0.06, 0.20, 0.03, 0.15, 0.30];

    private static readonly ExplorationOptions SlotOptions = new() { SlotPositions = [2, 3], MaxExploredPositions = 2 };

    [Fact]
    public void Each_epsilon_greedy_slot_decision_logs_the_probability_it_happens_with()
    {
        // Fixed candidates: the frequency of each placement given the placements above it must match the logged μ.
        var candidates = Candidates(new Random(1));
        var policy = new EpsilonGreedyPolicy(0.3, SlotOptions);
        var placements = new Dictionary<string, (long Count, double Propensity)>(StringComparer.Ordinal);
        var contexts = new Dictionary<string, long>(StringComparer.Ordinal);
        const int Runs = 60_000;
        for (var seed = 0; seed < Runs; seed++)
        {
            var result = policy.Rerank(candidates, 4, Now, new Random(seed));
            Assert.NotNull(result.Decisions);
            var prefix = "";
            for (var p = 0; p < result.Ranking.Length; p++)
            {
                var decision = result.Decisions![p];
                var pick = result.Ranking[p].CandidateIndex;
                Assert.Equal(p is 2 or 3, decision.IsLogged);
                if (decision.IsLogged)
                {
                    contexts[prefix] = contexts.GetValueOrDefault(prefix) + 1;
                    var key = prefix + ">" + pick;
                    if (placements.TryGetValue(key, out var seen))
                    {
                        Assert.Equal(seen.Propensity, decision.Propensity, 12);
                    }

                    placements[key] = (seen.Count + 1, decision.Propensity);
                }

                prefix += pick.ToString(CultureInfo.InvariantCulture) + ",";
            }
        }

        var checkedPlacements = 0;
        var greedyChecked = false;
        var uniformChecked = false;
        foreach (var (key, (count, propensity)) in placements)
        {
            var n = contexts[key[..key.IndexOf('>', StringComparison.Ordinal)]];
            if (n < 3000)
            {
                continue;
            }

            var frequency = (double)count / n;
            var tolerance = (4.5 * Math.Sqrt(propensity * (1 - propensity) / n)) + 1e-9;
            Assert.True(Math.Abs(frequency - propensity) <= tolerance, $"{key}: frequency {frequency:0.0000} over {n}, logged {propensity:0.0000}");
            checkedPlacements++;
            greedyChecked |= propensity > 0.7;
            uniformChecked |= propensity < 0.1;
        }

        Assert.True(checkedPlacements >= 20, $"only {checkedPlacements} placements had enough runs");
        Assert.True(greedyChecked && uniformChecked);
    }

    [Fact]
    public void Ucb1_and_Thompson_log_no_propensities()
    {
        var candidates = Candidates(new Random(2));
        Assert.Null(new Ucb1Policy(1, SlotOptions).Rerank(candidates, 4, Now, new Random(3)).Decisions);
        Assert.Null(new ThompsonSamplingPolicy(1, 1, SlotOptions).Rerank(candidates, 4, Now, new Random(3)).Decisions);
    }

    [Fact]
    public void A_decision_with_nothing_open_is_the_greedy_arm_for_every_epsilon()
    {
        var d = SlotDecision.EpsilonGreedy(0.3, greedy: true, openEligible: false, open: 0);
        Assert.Equal(1, d.Propensity);
        Assert.Equal(1, d.TargetProbability(0));
        Assert.Equal(1, d.TargetProbability(0.7));
        var sums = SlotDecisionSums.Served(d).Plus(SlotDecisionSums.Rewarded(d));
        Assert.Equal(1, sums.For(0.55).Weights, 12);
        Assert.Equal(1, sums.For(0).WeightedRewards, 12);
    }

    [Fact]
    public void Logged_epsilon_greedy_estimates_cover_the_simulated_ctr_of_other_epsilons()
    {
        const double LoggingEpsilon = 0.3;
        double[] targets = [0.1, 0];
        var truth = TrueRates(targets, LoggingEpsilon, lists: 200_000, seed: 1_000_000);
        const int Seeds = 300;
        const int Lists = 1500;
        var ipsCovered = new int[targets.Length];
        var snCovered = new int[targets.Length];
        var essSum = new double[targets.Length];
        var observedCoveredTruth = 0;
        for (var seed = 0; seed < Seeds; seed++)
        {
            var sums = Simulate(LoggingEpsilon, Lists, seed, null);
            var estimates = EpsilonGreedyEvaluation.Estimate(sums, targets);
            for (var t = 0; t < targets.Length; t++)
            {
                var e = estimates[t].Estimate;
                Assert.Equal(targets[t], estimates[t].Epsilon);
                ipsCovered[t] += e.IpsLower <= truth[t] && truth[t] <= e.IpsUpper ? 1 : 0;
                snCovered[t] += e.SelfNormalizedLower <= truth[t] && truth[t] <= e.SelfNormalizedUpper ? 1 : 0;
                essSum[t] += e.EffectiveSampleSize;
            }

            var observed = EpsilonGreedyEvaluation.Observed(sums)!.Value;
            observedCoveredTruth += observed.Low <= truth[0] && truth[0] <= observed.High ? 1 : 0;
        }

        for (var t = 0; t < targets.Length; t++)
        {
            var ips = (double)ipsCovered[t] / Seeds;
            var sn = (double)snCovered[t] / Seeds;
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"log ε={LoggingEpsilon}, target ε'={targets[t]}: true CTR {truth[t]:0.0000}; over {Seeds} seeds x {Lists * 2} slot decisions IPS coverage {ips:0.000}, SNIPS coverage {sn:0.000}, mean ESS {essSum[t] / Seeds:0}"));
            Assert.InRange(ips, 0.91, 0.985);
            Assert.InRange(sn, 0.91, 0.985);
            Assert.True(essSum[t] / Seeds < Lists * 2);
        }

        output.WriteLine($"for comparison, the logged CTR's own interval covered the ε'=0.1 truth in {observedCoveredTruth} of {Seeds} seeds");
    }

    [Fact]
    public void The_logging_epsilon_weighs_every_decision_one_and_gives_the_observed_rate()
    {
        var sums = Simulate(0.3, 2000, 7, null);
        var estimate = EpsilonGreedyEvaluation.Estimate(sums, [0.3])[0].Estimate;
        var observed = EpsilonGreedyEvaluation.Observed(sums)!.Value;
        Assert.Equal(observed.Value, estimate.Ips, 9);
        Assert.Equal(observed.Value, estimate.SelfNormalized, 9);
        Assert.Equal(sums.Decisions, estimate.EffectiveSampleSize, 6);
    }

    [Fact]
    public void Sums_path_agrees_with_the_raw_decision_path()
    {
        var raw = new List<(int Cohort, SlotDecision Decision, double Reward)>();
        var sums = new Dictionary<int, SlotDecisionSums>();
        for (var cohort = 0; cohort < 3; cohort++)
        {
            var s = Simulate(0.1 + (0.1 * cohort), 800, 40 + cohort, (d, r) => raw.Add((cohort, d, r)));
            sums[cohort] = s;
        }

        foreach (var epsilon in new[] { 0.0, 0.05, 0.2, 1.0 })
        {
            var log = new LoggedDecision[raw.Count];
            for (var i = 0; i < raw.Count; i++)
            {
                var (cohort, d, r) = raw[i];
                log[i] = new LoggedDecision(cohort, "arm", d.Propensity, d.TargetProbability(epsilon), r);
            }

            var byRaw = OffPolicyEvaluation.EstimatePerCohort(log);
            Assert.Equal(3, byRaw.Length);
            foreach (var r in byRaw)
            {
                var fromSums = EpsilonGreedyEvaluation.Estimate(sums[r.CohortId], [epsilon])[0].Estimate;
                Assert.Equal(r.Estimate.Observations, fromSums.Observations);
                Assert.Equal(r.Estimate.Ips, fromSums.Ips, 9);
                Assert.Equal(r.Estimate.IpsLower, fromSums.IpsLower, 9);
                Assert.Equal(r.Estimate.IpsUpper, fromSums.IpsUpper, 9);
                Assert.Equal(r.Estimate.SelfNormalized, fromSums.SelfNormalized, 9);
                Assert.Equal(r.Estimate.SelfNormalizedLower, fromSums.SelfNormalizedLower, 9);
                Assert.Equal(r.Estimate.SelfNormalizedUpper, fromSums.SelfNormalizedUpper, 9);
                Assert.Equal(r.Estimate.EffectiveSampleSize, fromSums.EffectiveSampleSize, 6);
            }
        }
    }

    [Fact]
    public void Sums_merge_by_addition_and_reject_an_invalid_epsilon()
    {
        var all = Simulate(0.3, 600, 11, null);
        var first = Simulate(0.3, 300, 11, null);
        Assert.NotEqual(all, first);
        Assert.True(default(SlotDecisionSums).IsEmpty);
        Assert.Equal(first, default(SlotDecisionSums).Plus(first));
        Assert.Throws<ArgumentOutOfRangeException>(() => all.For(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => SlotDecisionSums.Served(default));
        Assert.Empty(EpsilonGreedyEvaluation.Estimate(default, [0.1]));
        Assert.Null(EpsilonGreedyEvaluation.Observed(default));
    }

    /// <summary>Eight arms; the ranker's scores vary per request around a per-arm level.</summary>
    private static ArmCandidate[] Candidates(Random random)
    {
        var candidates = new ArmCandidate[ClickRates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            var score = (ClickRates[i] * 10) + random.NextDouble();
            candidates[i] = i switch
            {
                6 => new ArmCandidate("arm6", score, 0, 0, Now),
                7 => new ArmCandidate("arm7", score, 0, 0, Now.AddDays(-30)),
                _ => new ArmCandidate("arm" + i.ToString(CultureInfo.InvariantCulture), score, 100, 5, Now.AddDays(-30)),
            };
        }

        return candidates;
    }

    /// <summary>Serves <paramref name="lists"/> lists with ε-greedy, clicks each slot with its arm's rate, and sums the slot decisions.</summary>
    private static SlotDecisionSums Simulate(double epsilon, int lists, int seed, Action<SlotDecision, double>? onDecision)
    {
        var policy = new EpsilonGreedyPolicy(epsilon, SlotOptions);
        var random = new Random(seed);
        var sums = default(SlotDecisionSums);
        for (var l = 0; l < lists; l++)
        {
            var result = policy.Rerank(Candidates(random), 4, Now, random);
            for (var p = 0; p < result.Ranking.Length; p++)
            {
                var d = result.Decisions![p];
                if (!d.IsLogged)
                {
                    continue;
                }

                var clicked = random.NextDouble() < ClickRates[result.Ranking[p].CandidateIndex];
                sums = sums.Plus(SlotDecisionSums.Served(d));
                if (clicked)
                {
                    sums = sums.Plus(SlotDecisionSums.Rewarded(d));
                }

                onDecision?.Invoke(d, clicked ? 1 : 0);
            }
        }

        return sums;
    }

    /// <summary>
    /// The per-slot CTR each target ε' would have had on the logged slots: the mean over logged contexts (candidates and
    /// the placements above the slot) of Σ_a π'(a | context)·rate(a), from a long independent run.
    /// </summary>
    private static double[] TrueRates(double[] targets, double loggingEpsilon, int lists, int seed)
    {
        var policy = new EpsilonGreedyPolicy(loggingEpsilon, SlotOptions);
        var random = new Random(seed);
        var totals = new double[targets.Length];
        var decisions = 0L;
        var placed = new bool[ClickRates.Length];
        for (var l = 0; l < lists; l++)
        {
            var candidates = Candidates(random);
            var result = policy.Rerank(candidates, 4, Now, random);
            Array.Clear(placed);
            for (var p = 0; p < result.Ranking.Length; p++)
            {
                if (result.Decisions![p].IsLogged)
                {
                    var greedy = -1;
                    var open = 0;
                    var openRate = 0.0;
                    for (var i = 0; i < candidates.Length; i++)
                    {
                        if (placed[i])
                        {
                            continue;
                        }

                        if (greedy < 0 || candidates[i].Score > candidates[greedy].Score)
                        {
                            greedy = i;
                        }

                        if (SlotOptions.IsEligible(candidates[i], Now))
                        {
                            open++;
                            openRate += ClickRates[i];
                        }
                    }

                    var uniformRate = open > 0 ? openRate / open : ClickRates[greedy];
                    for (var t = 0; t < targets.Length; t++)
                    {
                        totals[t] += ((1 - targets[t]) * ClickRates[greedy]) + (targets[t] * uniformRate);
                    }

                    decisions++;
                }

                placed[result.Ranking[p].CandidateIndex] = true;
            }
        }

        for (var t = 0; t < targets.Length; t++)
        {
            totals[t] /= decisions;
        }

        return totals;
    }
}
