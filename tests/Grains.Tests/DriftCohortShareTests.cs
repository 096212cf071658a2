using Cohortly.Contracts;
using Cohortly.Modeling.Drift;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Grains.Tests;

/// <summary>
/// The cohort-share check of a training version follows the active-population rule: the version's active users per
/// cohort against the live users active in the same window; a version stored without those counts keeps the old
/// comparison (every sampled user against the whole live sample). Its own cluster, for its own cooldowns.
/// </summary>
public sealed class DriftCohortShareTests(DriftClusterFixture fixture) : IClassFixture<DriftClusterFixture>
{
    [Fact]
    public async Task Cohort_shares_compare_the_active_populations_and_a_version_without_active_counts_keeps_the_whole_sample_comparison()
    {
        var random = new Random(31);
        var segmentation = fixture.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var version = ((await segmentation.GetCurrent())?.Version ?? 0) + 1;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var window = TimeSpan.FromHours(1);

        // Training: the same mix (a fifth high spenders) among users active in the last hour and those seen hours ago.
        var trained = DriftPopulationTests.Users(random, 1000, 0.2, 0);
        long[] trainedSeen = [.. Enumerable.Range(0, trained.Length).Select(i => i < 500 ? now - 60_000L : now - (5 * 3_600_000L))];
        var built = SegmentationVersions.Build(FeatureMatrix.FromRows(trained), DriftPopulationTests.Features, null, version, new SegmentationOptions { K = 2 }, SegmentationRunKind.Training);
        var active = ActivePopulation.Describe(trained, trainedSeen, DriftPopulationTests.Features, window, built.Model);
        Assert.Equal(500, active.CohortCounts.Sum());
        built = built with { FeatureReference = active.Features, FeatureReferenceWindow = window, ActiveCohortCounts = active.CohortCounts };
        var info = SegmentationVersionInfo.From(built, DateTimeOffset.UtcNow, 0, "drift-test");
        Assert.Equal(active.CohortCounts, info.ActiveCohortCounts);
        await segmentation.Publish(info);

        // Live: the active users have the same mix; 600 users last seen five hours ago are almost all high spenders
        // (outside the window: not part of either active population, but most of the whole sample).
        var live = DriftPopulationTests.Users(random, 400, 0.2, 0);
        var stale = DriftPopulationTests.Users(random, 600, 1.0, 0);
        float[][] rows = [.. live, .. stale];
        long[] seen = [.. Enumerable.Repeat(now, live.Length), .. Enumerable.Repeat(now - (5 * 3_600_000L), stale.Length)];
        var ids = Enumerable.Range(0, rows.Length).Select(i => $"shares-{i}").ToList();
        await segmentation.SubmitSample(new FeatureSample("drift-test-silo", ids, rows, DateTimeOffset.UtcNow) { LastSeenMs = seen });

        var quiet = await fixture.Monitor.Check();
        Assert.Empty(quiet.Detections);
        var shares = Assert.Single(await fixture.Monitor.GetHistory(new DriftHistoryQuery("drift-cohort-share", null, null, quiet.At)));
        var point = Assert.Single(shares.Points);
        Assert.True(point.Value < 0.05, $"cohort-share PSI {point.Value}");

        // The same version as stored before active counts were recorded: the whole sample against every trained user.
        var stored = SegmentationVersionInfo.From(built with { Model = built.Model with { Version = version + 1 }, ActiveCohortCounts = null }, DateTimeOffset.UtcNow, 0, "drift-test");
        Assert.Null(stored.ActiveCohortCounts);
        await segmentation.Publish(stored);
        var old = await fixture.Monitor.Check();
        Assert.Equal(version + 1, old.SegmentationVersion);
        var detection = Assert.Single(old.Detections);
        Assert.Equal("drift-cohort-share", detection.Source);
        Assert.True(detection.Value > detection.Threshold);
    }
}
