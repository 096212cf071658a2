using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;

namespace Cohortly.Grains.Tests;

/// <summary>The first segmentation starts by itself once MinUsers users are sampled, through the training grain's queue.</summary>
public sealed class FirstSegmentationTests
{
    [Fact]
    public async Task The_first_version_is_published_once_min_users_are_sampled_by_a_segmentation_only_run()
    {
        var cluster = await FastLoopCluster.Start(new Dictionary<string, string?>
        {
            ["Cohortly:Segmentation:MinUsers"] = "30",
            ["Cohortly:Segmentation:K"] = "3",
        });
        try
        {
            var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 40, Items = 100, UserPrefix = "first-" }, seed: 21);
            var history = world.History(DateTimeOffset.UtcNow, days: 7, new Random(2));
            await FastLoopCluster.Publish(cluster.Client, history.Select(Events.Of));

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
