using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>A fitted segmentation below the quality floor is not published: the previous version stays and an alert says why.</summary>
public sealed class SegmentationQualityFloorTests
{
    [Fact]
    public async Task A_version_below_the_silhouette_floor_is_withheld_the_previous_stays_and_an_alert_says_why()
    {
        var settings = new Dictionary<string, string?>(FastLoops.InProcess.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
        {
            ["Cohortly:Segmentation:K"] = "3",
            // The planted behaviour types measure about 0.45; nothing real reaches 0.95.
            ["Cohortly:Segmentation:MinSilhouette"] = "0.95",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddCohortlyServices(configuration));
        builder.ConfigureClient(client => client.AddMemoryStreams(StreamNames.Provider, s => s.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 60, Items = 100, UserPrefix = "floor-" }, seed: 23);
            var provider = cluster.Client.GetStreamProvider(StreamNames.Provider);
            var history = world.History(DateTimeOffset.UtcNow, days: 7, new Random(3));
            await Task.WhenAll(history.Select(Events.Of).GroupBy(e => e.UserId).Select(g =>
                provider.GetStream<InteractionEvent>(Orleans.Runtime.StreamId.Create(StreamNames.Interactions, g.Key)).OnNextBatchAsync(g.ToList())));
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
