using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>A fitted segmentation below the quality floor is not published: the previous version stays and an alert says why.</summary>
public sealed class SegmentationQualityFloorTests
{
    [Fact]
    public async Task A_version_below_the_silhouette_floor_is_withheld_the_previous_stays_and_an_alert_says_why()
    {
        var cluster = await FastLoopCluster.Start(new Dictionary<string, string?>
        {
            ["Cohortly:Segmentation:K"] = "3",
            // The planted behaviour types measure about 0.45; nothing real reaches 0.95.
            ["Cohortly:Segmentation:MinSilhouette"] = "0.95",
        });
        try
        {
            var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 60, Items = 100, UserPrefix = "floor-" }, seed: 23);
            var history = world.History(DateTimeOffset.UtcNow, days: 7, new Random(3));
            await FastLoopCluster.Publish(cluster.Client, history.Select(Events.Of));
            var segmentation = cluster.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
            await Eventually.True(async () => (await segmentation.GetSample()).Rows.Count >= 50, "the silos sample the users");

            // A version published before (built without a floor) is the one that must keep serving.
            var sample = await segmentation.GetSample();
            var previous = SegmentationVersions.Build(FeatureMatrix.FromRows(sample.Rows), ProfileFeatures.Names, basis: null, version: 1, new SegmentationOptions { K = 3 }, SegmentationRunKind.SegmentationOnly);
            Assert.Equal(1, await segmentation.Publish(SegmentationVersionInfo.From(previous, DateTimeOffset.UtcNow, 0, "test")));

            var withheld = await Assert.ThrowsAsync<SegmentationWithheldException>(() => segmentation.Recompute());

            Assert.Equal("silhouette", withheld.Statistic);
            Assert.Equal(0.95, withheld.Threshold);
            Assert.InRange(withheld.Value, -1, 0.95);
            Assert.Contains("version 1 keeps serving", withheld.Message, StringComparison.Ordinal);
            var current = (await segmentation.GetCurrent())!;
            Assert.Equal(1, current.Version);
            Assert.Equal("test", current.RunId);
            Assert.Single(await segmentation.GetHistory());
            var alert = Assert.Single(await cluster.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(10, null, SegmentationQualityGate.AlertSource));
            Assert.Equal("silhouette", alert.Input.Statistic);
            Assert.Equal(withheld.Value, alert.Input.Value);
            Assert.Equal(0.95, alert.Input.Threshold);
            Assert.Null(alert.Input.CohortId);
            Assert.Contains("Segmentation version 2", alert.Input.Message, StringComparison.Ordinal);
            Assert.Contains("Cohortly:Segmentation:MinSilhouette", alert.Input.Message, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}

public sealed class TrainingQualityFloorTests
{
    [Fact]
    public async Task A_training_run_whose_segmentation_is_below_the_floor_publishes_nothing_and_its_model_is_rejected()
    {
        using var directory = new TempDirectory();
        var cluster = await FastLoopCluster.Start(new Dictionary<string, string?>
        {
            ["Cohortly:Segmentation:K"] = "4",
            ["Cohortly:Segmentation:MinSilhouette"] = "0.95",
            ["Cohortly:Training:DataDirectory"] = directory.Path,
            ["Cohortly:Training:Factors"] = "8",
            ["Cohortly:Training:IalsIterations"] = "3",
        });
        try
        {
            var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 150, Items = 200, Categories = 10, UserPrefix = "tq-" }, seed: 12);
            var now = DateTimeOffset.UtcNow;
            await cluster.Client.GetGrain<ICatalogGrain>(ICatalogGrain.Key).Upsert([.. world.Items.Select(i => new ItemRecord(i.Id, i.Title, [i.Category], [.. i.Tags], i.Price, true, now))]);
            await cluster.Silos[0].ServiceProvider.GetRequiredService<IInteractionLog>().AppendAsync([.. world.History(now, days: 14, new Random(4)).Select(Events.Of)], CancellationToken.None);
            var training = cluster.Client.GetGrain<ITrainingGrain>(ITrainingGrain.Key);

            var status = await TrainingRuns.RunToEnd(training);

            Assert.True(status.State == TrainingState.Succeeded, status.Error);
            Assert.False(status.Promoted);
            Assert.Contains("withheld", status.Promotion, StringComparison.Ordinal);
            Assert.Null(await cluster.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetCurrent());
            var registry = await cluster.Client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).List();
            Assert.Equal(0, registry.ActiveVersion);
            Assert.Equal(ModelStatus.Rejected, Assert.Single(registry.Versions).Status);
            var alert = Assert.Single(await cluster.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(10, null, SegmentationQualityGate.AlertSource));
            Assert.Contains($"training run {status.RunId}", alert.Input.Message, StringComparison.Ordinal);
            Assert.Contains("no version is published yet", alert.Input.Message, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}

public sealed class SegmentationStateCompatibilityTests
{
    [Fact]
    public void A_version_stored_before_quality_was_recorded_loads_without_it_and_a_new_one_keeps_it()
    {
        var rng = new Random(5);
        var rows = Enumerable.Range(0, 90).Select(i => Enumerable.Range(0, ProfileFeatures.Count).Select(_ => (float)((i % 3 * 5) + rng.NextDouble())).ToArray()).ToList();
        var built = SegmentationVersions.Build(FeatureMatrix.FromRows(rows), ProfileFeatures.Names, basis: null, version: 4, new SegmentationOptions { K = 3 }, SegmentationRunKind.SegmentationOnly);
        var info = SegmentationVersionInfo.From(built, DateTimeOffset.UnixEpoch, 0.1, "run");
        var json = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(new Segmentation.SegmentationState { History = [info] }))!;
        var stored = json["History"]![0]!.AsObject();
        Assert.True(stored.Remove("Quality"), "the stored form carries the quality");

        var old = System.Text.Json.JsonSerializer.Deserialize<Segmentation.SegmentationState>(json.ToJsonString())!;
        var now = System.Text.Json.JsonSerializer.Deserialize<Segmentation.SegmentationState>(System.Text.Json.JsonSerializer.Serialize(new Segmentation.SegmentationState { History = [info] }))!;

        Assert.Null(old.History[0].Quality);
        Assert.Equal(4, Services.SegmentationCache.ToModel(old.History[0]).Version);
        Assert.Equal(info.Quality!.Silhouette, now.History[0].Quality!.Silhouette);
        Assert.Equal(info.Quality.ClusterSizes, now.History[0].Quality!.ClusterSizes);
        Assert.Equal("kmeans", now.History[0].Quality!.Algorithm);
    }
}
