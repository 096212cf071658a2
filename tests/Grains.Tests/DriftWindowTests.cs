using Cohortly.Contracts;
using Cohortly.Modeling.Drift;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Grains.Tests;

/// <summary>
/// The feature PSI of a training version (a reference over the users active in a window) against the live users active
/// in the same window, and the per-pass statistic history. Its own cluster: it fires a feature-PSI detection, whose
/// cooldown would silence <see cref="DriftPopulationTests"/>' own.
/// </summary>
public sealed class DriftWindowTests(DriftClusterFixture fixture) : IClassFixture<DriftClusterFixture>
{
    [Fact]
    public async Task A_windowed_reference_is_compared_with_the_live_users_active_in_that_window_and_each_pass_is_kept_in_the_history()
    {
        var random = new Random(23);
        var segmentation = fixture.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var version = ((await segmentation.GetCurrent())?.Version ?? 0) + 1;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var trained = DriftPopulationTests.Users(random, 1000, 0.5, 0);
        var trainedSeen = Enumerable.Repeat(now - 60_000L, trained.Length).ToArray();
        var window = TimeSpan.FromHours(1);
        var built = SegmentationVersions.Build(FeatureMatrix.FromRows(trained), DriftPopulationTests.Features, null, version, new SegmentationOptions { K = 2 }, SegmentationRunKind.Training);
        // As the training pipeline records it: the reference over the users active in the window.
        built = built with { FeatureReference = ActivePopulation.Reference(trained, trainedSeen, DriftPopulationTests.Features, window), FeatureReferenceWindow = window };
        await segmentation.Publish(SegmentationVersionInfo.From(built, DateTimeOffset.UtcNow, 0, "drift-test"));

        // The live sample: 400 users active now, like the reference's, and 600 who spent more but were last seen
        // five hours ago — outside the window, so not part of the population the reference describes.
        var active = DriftPopulationTests.Users(random, 400, 0.5, 0);
        var stale = DriftPopulationTests.Users(random, 600, 0.9, 1.5f);
        float[][] rows = [.. active, .. stale];
        long[] seen = [.. Enumerable.Repeat(now, active.Length), .. Enumerable.Repeat(now - (5 * 3_600_000L), stale.Length)];
        var ids = Enumerable.Range(0, rows.Length).Select(i => $"windowed-{i}").ToList();
        await segmentation.SubmitSample(new FeatureSample("drift-test-silo", ids, rows, DateTimeOffset.UtcNow) { LastSeenMs = seen });

        var quiet = await fixture.Monitor.Check();
        Assert.DoesNotContain(quiet.Detections, d => d.Source == "drift-feature-psi");
        var history = await fixture.Monitor.GetHistory(new DriftHistoryQuery("drift-feature-psi", null, null, quiet.At));
        Assert.Equal(DriftPopulationTests.Features.Order(StringComparer.Ordinal), history.Select(h => h.Feature!).Order(StringComparer.Ordinal));
        Assert.All(history, h =>
        {
            var point = Assert.Single(h.Points);
            Assert.Equal(quiet.At, point.At);
            Assert.Equal(0.25, point.Threshold);
            Assert.True(point.Value < 0.25, $"{h.Feature}: {point.Value}");
        });

        // The same users all active now: the high spenders are in the population, and the PSI says so.
        long[] allActive = [.. Enumerable.Repeat(now, rows.Length)];
        await segmentation.SubmitSample(new FeatureSample("drift-test-silo", ids, rows, DateTimeOffset.UtcNow) { LastSeenMs = allActive });
        var drifted = await fixture.Monitor.Check();
        var feature = Assert.Single(drifted.Detections, d => d.Source == "drift-feature-psi");
        Assert.Equal("psi(spend)", feature.Statistic);
        var spend = Assert.Single(await fixture.Monitor.GetHistory(new DriftHistoryQuery("drift-feature-psi", null, "spend", quiet.At)));
        Assert.Equal([quiet.At, drifted.At], spend.Points.Select(p => p.At));
        Assert.True(spend.Points[1].Value > 0.25);

        // A sample without latest-event times cannot be selected by the rule: the feature PSI is not measured.
        await segmentation.SubmitSample(new FeatureSample("drift-test-silo", ids, rows, DateTimeOffset.UtcNow));
        var unknown = await fixture.Monitor.Check();
        Assert.DoesNotContain(unknown.Detections, d => d.Source == "drift-feature-psi");
        Assert.Equal(2, Assert.Single(await fixture.Monitor.GetHistory(new DriftHistoryQuery("drift-feature-psi", null, "spend", quiet.At))).Points.Count);
        Assert.Empty(await fixture.Monitor.GetHistory(new DriftHistoryQuery("no-such-detector", null, null, null)));
    }
}
