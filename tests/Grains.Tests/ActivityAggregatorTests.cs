using Cohortly.Grains.Services;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Users;

namespace Cohortly.Grains.Tests;

public sealed class ActivityAggregatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static ServedRecommendation Served(params string[] items)
    {
        var served = new UserState().Remember(Guid.NewGuid(), T0, 1, 1, ServedStrategy.CohortModel, items.Length, UserStateOptions.Default);
        for (var i = 0; i < items.Length; i++)
        {
            served.SetSlot(i, items[i], false);
        }

        return served;
    }

    [Fact]
    public void Each_take_returns_what_was_recorded_since_the_previous_one_and_a_sent_delta_is_not_changed_by_later_records()
    {
        var aggregator = new ActivityAggregator(TimeProvider.System);
        aggregator.RecordImpressions(1, Served("a", "b"));
        aggregator.RecordImpressions(1, Served("a"));
        aggregator.RecordImpressions(null, Served("c"));
        aggregator.RecordReward(1, "a", 1.0);

        var first = aggregator.TakeDeltas();
        Assert.Equal(2, first[1].Impressions["a"]);
        Assert.Equal(1, first[1].Impressions["b"]);
        Assert.Equal(1.0, first[1].Rewards["a"]);
        Assert.Equal(1, first[CohortSnapshotCache.Global].Impressions["c"]);

        aggregator.RecordImpressions(1, Served("b"));
        Assert.Equal(1, first[1].Impressions["b"]);
        var second = aggregator.TakeDeltas();
        var only = Assert.Single(second);
        Assert.Equal(1, only.Key);
        Assert.Equal(1, Assert.Single(only.Value.Impressions).Value);
        Assert.Empty(only.Value.Rewards);

        Assert.Empty(aggregator.TakeDeltas());
    }

    [Fact]
    public void A_restored_delta_is_sent_again_with_what_came_after_it()
    {
        var aggregator = new ActivityAggregator(TimeProvider.System);
        aggregator.RecordImpressions(2, Served("a"));
        var failed = aggregator.TakeDeltas();
        aggregator.RecordImpressions(2, Served("a", "b"));
        aggregator.Restore(2, failed[2]);

        var again = aggregator.TakeDeltas()[2];
        Assert.Equal(2, again.Impressions["a"]);
        Assert.Equal(1, again.Impressions["b"]);
    }
}
