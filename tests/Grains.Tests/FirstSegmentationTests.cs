using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>The first segmentation starts by itself once MinUsers users are sampled, through the training grain's queue.</summary>
public sealed class FirstSegmentationTests
{
    [Fact]
    public async Task The_first_version_is_published_once_min_users_are_sampled_by_a_segmentation_only_run()
    {
        var settings = new Dictionary<string, string?>(FastLoops.InProcess.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
        {
            ["Cohortly:Segmentation:MinUsers"] = "30",
            ["Cohortly:Segmentation:K"] = "3",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddCohortlyServices(configuration));
        builder.ConfigureClient(client => client.AddMemoryStreams(StreamNames.Provider, s => s.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 40, Items = 100, UserPrefix = "first-" }, seed: 21);
            var provider = cluster.Client.GetStreamProvider(StreamNames.Provider);
            var history = world.History(DateTimeOffset.UtcNow, days: 7, new Random(2));
            await Task.WhenAll(history.Select(Events.Of).GroupBy(e => e.UserId).Select(g =>
                provider.GetStream<InteractionEvent>(Orleans.Runtime.StreamId.Create(StreamNames.Interactions, g.Key)).OnNextBatchAsync(g.ToList())));

            var segmentation = cluster.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
            await Eventually.True(async () => await segmentation.GetVersion() > 0, "the first segmentation is published by itself", TimeSpan.FromSeconds(60));

            var first = (await segmentation.GetCurrent())!;
            Assert.Equal(SegmentationProducer.SegmentationOnly, first.Producer);
            Assert.Equal(0, first.ModelVersion);
            Assert.False(string.IsNullOrEmpty(first.RunId));
            Assert.Equal(0, first.PreviousVersion);
            Assert.Empty(first.Transitions);
            Assert.InRange(first.SampleSize, 30, 40);
            Assert.Equal(first.SampleSize, first.SampleCounts.Sum());
            Assert.Equal([1, 2, 3], first.CohortIds.Order());
            Assert.Equal(4, first.NextCohortId);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
