using Cohortly.Grains.Services;

namespace Cohortly.Grains.Tests;

public sealed class ActivityAggregatorTests
{
    [Fact]
    public void Recycled_buffers_carry_only_what_was_recorded_after_the_flush()
    {
        var aggregator = new ActivityAggregator(TimeProvider.System);
        aggregator.RecordImpressions(3, ["a", "b", "a"]);
        aggregator.RecordReward(3, "a", 1);
        aggregator.RecordInteraction(3, "b", 2);

        var first = aggregator.TakeDeltas()[3];
        Assert.Equal(2, first.Impressions["a"]);
        Assert.Equal(1, first.Rewards["a"]);
        Assert.Equal(2, first.ItemWeights["b"]);
        var impressions = first.Impressions;
        aggregator.Recycle(first);

        aggregator.RecordImpressions(3, ["c"]);
        var second = aggregator.TakeDeltas()[3];

        // The same buffers, cleared: nothing of the first flush is counted twice.
        Assert.Same(impressions, second.Impressions);
        Assert.Equal(new Dictionary<string, long> { ["c"] = 1 }, second.Impressions);
        Assert.Empty(second.Rewards);
        Assert.Empty(second.ItemWeights);
        Assert.Equal(0, second.MembersJoined);
    }

    [Fact]
    public void A_restored_delta_is_counted_again_in_the_next_flush()
    {
        var aggregator = new ActivityAggregator(TimeProvider.System);
        aggregator.RecordImpressions(null, ["x"]);
        var failed = aggregator.TakeDeltas()[CohortSnapshotCache.Global];

        aggregator.Restore(CohortSnapshotCache.Global, failed);
        aggregator.RecordImpressions(null, ["x", "y"]);

        var next = aggregator.TakeDeltas()[CohortSnapshotCache.Global];
        Assert.Equal(2, next.Impressions["x"]);
        Assert.Equal(1, next.Impressions["y"]);
        Assert.NotSame(failed.Impressions, next.Impressions);
    }
}
