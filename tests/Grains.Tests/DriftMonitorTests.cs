using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Segmentation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>
/// A cluster whose drift detectors act: a reward-rate drop holds the cohort on the global weights, a fallback-share jump
/// retrains, a feature drift only alerts, a cohort-share drift asks for the global weights (not applicable: it is about
/// all users). The monitor's schedule is off (<see cref="FastLoops.InProcess"/>): each test runs its pass.
/// Each test class gets its own cluster, so one class's pass never reads another's outcome minutes.
/// </summary>
public sealed class DriftClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public IDriftMonitorGrain Monitor => Client.GetGrain<IDriftMonitorGrain>(IDriftMonitorGrain.Key);

    public async Task InitializeAsync()
    {
        Cluster = await FastLoopCluster.Start(new Dictionary<string, string?>
        {
            ["Cohortly:Training:DataDirectory"] = _directory.Path,
            ["Cohortly:Drift:Actions:RewardRate"] = "ServeGlobal",
            ["Cohortly:Drift:Actions:FallbackShare"] = "Retrain",
            ["Cohortly:Drift:Actions:FeaturePsi"] = "AlertOnly",
            ["Cohortly:Drift:Actions:CohortShare"] = "ServeGlobal",
        });
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _directory.Dispose();
    }

    public T SiloService<T>()
        where T : notnull => Cluster.Silos[0].ServiceProvider.GetRequiredService<T>();

    /// <summary>
    /// Records one minute per entry, ending two minutes ago, through the silo's outcome aggregator (as serving does), and
    /// waits until the cohort's outcome grain holds them all.
    /// </summary>
    public Task RecordMinutes(int cohortId, IReadOnlyList<(ServedStrategy Strategy, OutcomeCounts Counts)[]> minutes) =>
        RecordMinutes(Client, SiloService<OutcomeAggregator>(), cohortId, minutes);

    /// <summary>The same on any cluster (the promotion cluster records a fallback-share jump to see a retrain's result).</summary>
    public static async Task RecordMinutes(IClusterClient client, OutcomeAggregator aggregator, int cohortId, IReadOnlyList<(ServedStrategy Strategy, OutcomeCounts Counts)[]> minutes)
    {
        var now = DateTimeOffset.UtcNow;
        var first = now.AddMinutes(-(minutes.Count + 1));
        long exposures = 0;
        for (var m = 0; m < minutes.Count; m++)
        {
            foreach (var (strategy, counts) in minutes[m])
            {
                aggregator.Record(new OutcomeKey(cohortId, 1, string.Empty, string.Empty, strategy), counts, first.AddMinutes(m));
                exposures += counts.Exposures;
            }
        }

        await Eventually.True(
            async () => (await client.GetGrain<IOutcomeGrain>(cohortId).GetRows(OutcomeGranularity.Minute, first.AddMinutes(-1), now)).Sum(r => r.Counts.Exposures) == exposures,
            $"cohort {cohortId}'s outcome grain holds the recorded minutes");
    }

    public static OutcomeCounts Served(long exposures, long impressions, long clicks) =>
        new(exposures, impressions, clicks, 0, 0, 0, clicks, 0, 0);

    /// <summary>Eighty minutes of one cohort's responses: 2 % served by cold start, then 30 % for the last twenty.</summary>
    public static List<(ServedStrategy, OutcomeCounts)[]> FallbackJump()
    {
        var minutes = new List<(ServedStrategy, OutcomeCounts)[]>();
        for (var m = 0; m < 80; m++)
        {
            var cold = m < 60 ? 4 : 60;
            minutes.Add([
                (ServedStrategy.CohortModel, Served(200 - cold, 5 * (200 - cold), (200 - cold) / 4)),
                (ServedStrategy.ColdStart, Served(cold, 5 * cold, cold / 4)),
            ]);
        }

        return minutes;
    }
}

public sealed class DriftRewardRateTests(DriftClusterFixture fixture) : IClassFixture<DriftClusterFixture>
{
    [Fact]
    public async Task A_reward_rate_drop_raises_an_alert_and_holds_the_cohort_on_the_global_weights_until_the_next_version()
    {
        const int cohort = 7101;
        const int steady = 7102;
        var minutes = new List<(ServedStrategy, OutcomeCounts)[]>();
        for (var m = 0; m < 80; m++)
        {
            // 10 % of 2,000 impressions a minute, then 4 % for the last 20 minutes.
            minutes.Add([(ServedStrategy.CohortModel, DriftClusterFixture.Served(400, 2000, m < 60 ? 200 : 80))]);
        }

        await fixture.RecordMinutes(cohort, minutes);
        await fixture.RecordMinutes(steady, [.. Enumerable.Repeat<(ServedStrategy, OutcomeCounts)[]>([(ServedStrategy.CohortModel, DriftClusterFixture.Served(400, 2000, 200))], 80)]);

        var report = await fixture.Monitor.Check();

        Assert.True(report.MinutesRead >= 80, $"read {report.MinutesRead} minutes");
        var detection = Assert.Single(report.Detections);
        Assert.Equal("drift-reward-rate", detection.Source);
        Assert.Equal(cohort, detection.CohortId);
        Assert.False(detection.Suppressed);
        Assert.True(detection.Value < detection.Threshold && detection.Threshold < 0, $"{detection.Value} against {detection.Threshold}");

        var alert = Assert.Single(await fixture.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(10, cohort, "drift-reward-rate"));
        Assert.Equal(detection.Value, alert.Input.Value);
        Assert.Equal(detection.Threshold, alert.Input.Threshold);
        Assert.Equal(DriftAction.ServeGlobal, alert.Input.Action!.Action);
        Assert.Equal(DriftActionOutcome.Succeeded, alert.Input.Action.Outcome);
        Assert.Contains("7101", alert.Input.Action.Detail, StringComparison.Ordinal);

        var grain = fixture.Client.GetGrain<ICohortGrain>(cohort);
        Assert.NotNull((await grain.GetSnapshot()).GlobalHoldSince);
        Assert.Null((await fixture.Client.GetGrain<ICohortGrain>(steady).GetSnapshot()).GlobalHoldSince);

        // The next activated version hands the cohort its serving state and ends the hold.
        await grain.AdoptModel(2, adapted: true, proposedPolicy: null);
        Assert.Null((await grain.GetSnapshot()).GlobalHoldSince);

        // The window was cut at the drop: the next pass reads only new minutes and finds nothing more.
        Assert.Empty((await fixture.Monitor.Check()).Detections);
    }
}

public sealed class DriftFallbackShareTests(DriftClusterFixture fixture) : IClassFixture<DriftClusterFixture>
{
    [Fact]
    public async Task A_fallback_share_jump_raises_an_alert_queues_a_training_run_and_records_how_the_run_ended()
    {
        const int cohort = 7201;
        var minutes = new List<(ServedStrategy, OutcomeCounts)[]>();
        for (var m = 0; m < 80; m++)
        {
            // 2 % of 200 responses served by cold start, then 30 % for the last 20 minutes; clicks steady.
            var cold = m < 60 ? 4 : 60;
            minutes.Add([
                (ServedStrategy.CohortModel, DriftClusterFixture.Served(200 - cold, 5 * (200 - cold), (200 - cold) / 4)),
                (ServedStrategy.ColdStart, DriftClusterFixture.Served(cold, 5 * cold, cold / 4)),
            ]);
        }

        await fixture.RecordMinutes(cohort, minutes);

        var report = await fixture.Monitor.Check();

        // Found in the cohort and over all cohorts (it is the only one); one training run serves both.
        Assert.Equal([cohort, (int?)null], report.Detections.Where(d => d.Source == "drift-fallback-share").Select(d => d.CohortId).Order().Reverse());
        var alerts = await fixture.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(10, null, "drift-fallback-share");
        Assert.Equal(2, alerts.Count);
        var status = await fixture.Client.GetGrain<ITrainingGrain>(ITrainingGrain.Key).GetStatus();
        Assert.NotNull(status.RunId);
        Assert.All(alerts, a =>
        {
            Assert.Equal(DriftAction.Retrain, a.Input.Action!.Action);
            Assert.Equal(status.RunId, a.Input.Action.RunId);
        });

        // This cluster's training log is empty, so the run fails; both alerts record it (whether the run ended before
        // or after they were raised).
        IReadOnlyList<Alert> ended = [];
        await Eventually.True(
            async () =>
            {
                ended = await fixture.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(10, null, "drift-fallback-share");
                return ended.All(a => a.Input.Action!.Run is not null);
            },
            "the training run's result reaches the alerts");
        Assert.All(ended, a =>
        {
            var action = a.Input.Action!;
            Assert.Equal(DriftActionOutcome.Failed, action.Outcome);
            Assert.Equal(TrainingRunResult.Failed, action.Run!.Result);
            Assert.Equal(status.RunId, action.Run.RunId);
            Assert.Contains("no events", action.Detail, StringComparison.Ordinal);
        });
    }
}

public sealed class DriftPopulationTests(DriftClusterFixture fixture) : IClassFixture<DriftClusterFixture>
{
    internal static readonly string[] Features = ["spend", "visits", "share"];

    internal static float[][] Users(Random random, int count, double highShare, float spendShift)
    {
        var rows = new float[count][];
        for (var i = 0; i < count; i++)
        {
            var high = random.NextDouble() < highShare;
            rows[i] =
            [
                (float)((high ? 2 : -2) + random.NextDouble()) + spendShift,
                (float)((high ? 1 : 5) + random.NextDouble()),
                (float)random.NextDouble(),
            ];
        }

        return rows;
    }

    [Fact]
    public async Task A_drifted_live_sample_alerts_once_per_cooldown_and_records_each_action()
    {
        var random = new Random(21);
        var segmentation = fixture.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var version = ((await segmentation.GetCurrent())?.Version ?? 0) + 1;
        var built = SegmentationVersions.Build(FeatureMatrix.FromRows(Users(random, 1000, 0.5, 0)), Features, null, version, new SegmentationOptions { K = 2 }, SegmentationRunKind.SegmentationOnly);
        await segmentation.Publish(SegmentationVersionInfo.From(built, DateTimeOffset.UtcNow, 0, "drift-test"));

        // Live users: most are now in the high group, and everybody spends more.
        var live = Users(random, 400, 0.9, 1.5f);
        await segmentation.SubmitSample(new FeatureSample("drift-test-silo", [.. Enumerable.Range(0, live.Length).Select(i => $"live-{i}")], live, DateTimeOffset.UtcNow));

        var report = await fixture.Monitor.Check();

        Assert.Equal(400, report.LiveSample);
        Assert.Equal(version, report.SegmentationVersion);
        var feature = Assert.Single(report.Detections, d => d.Source == "drift-feature-psi");
        Assert.Null(feature.CohortId);
        Assert.Equal("psi(spend)", feature.Statistic);
        Assert.True(feature.Value > feature.Threshold);
        Assert.Equal(DriftAction.AlertOnly, feature.Alert!.Input.Action!.Action);
        Assert.Equal(DriftActionOutcome.None, feature.Alert.Input.Action.Outcome);

        var shares = Assert.Single(report.Detections, d => d.Source == "drift-cohort-share");
        Assert.True(shares.Value > shares.Threshold);
        Assert.Equal(DriftAction.ServeGlobal, shares.Alert!.Input.Action!.Action);
        Assert.Equal(DriftActionOutcome.NotApplicable, shares.Alert.Input.Action.Outcome);

        // The drift persists: the next pass finds it again, within the cooldown, and stays quiet.
        var again = await fixture.Monitor.Check();
        Assert.Equal(2, again.Detections.Count);
        Assert.All(again.Detections, d =>
        {
            Assert.True(d.Suppressed);
            Assert.Null(d.Alert);
        });
        var alerts = fixture.Client.GetGrain<IAlertGrain>(IAlertGrain.Key);
        Assert.Single(await alerts.List(10, null, "drift-feature-psi"));
        Assert.Single(await alerts.List(10, null, "drift-cohort-share"));
    }

    [Fact]
    public async Task A_live_sample_like_the_versions_population_raises_nothing()
    {
        var random = new Random(22);
        var segmentation = fixture.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var current = await segmentation.GetCurrent();
        var version = (current?.Version ?? 0) + 1;
        var built = SegmentationVersions.Build(FeatureMatrix.FromRows(Users(random, 1000, 0.5, 0)), Features, null, version, new SegmentationOptions { K = 2 }, SegmentationRunKind.SegmentationOnly);
        await segmentation.Publish(SegmentationVersionInfo.From(built, DateTimeOffset.UtcNow, 0, "drift-test"));
        var live = Users(random, 400, 0.5, 0);
        await segmentation.SubmitSample(new FeatureSample("drift-test-silo", [.. Enumerable.Range(0, live.Length).Select(i => $"live-{i}")], live, DateTimeOffset.UtcNow));

        var report = await fixture.Monitor.Check();

        Assert.Equal(version, report.SegmentationVersion);
        Assert.Equal(400, report.LiveSample);
        Assert.Empty(report.Detections);
    }
}
