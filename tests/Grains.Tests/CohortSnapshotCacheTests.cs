using Cohortly.Contracts;
using Cohortly.Grains.Services;

namespace Cohortly.Grains.Tests;

public sealed class CohortSnapshotCacheTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private static CohortSnapshot Snapshot(DateTimeOffset updatedAt, string topItem) =>
        new(3, "cohort 3", 1, 10, [], [new ItemScore(topItem, 1.0)], updatedAt) { Arms = [new ArmStats(topItem, 5, 1, At)] };

    [Fact]
    public void The_same_snapshot_polled_again_keeps_its_indexed_entry()
    {
        var cache = new CohortSnapshotCache();
        var snapshot = Snapshot(At, "a");
        cache.Put(snapshot);
        var arms = cache.ArmsOf(3);
        var trending = cache.TrendingOf(3);

        cache.Put(snapshot);

        Assert.Same(arms, cache.ArmsOf(3));
        Assert.Same(trending, cache.TrendingOf(3));
    }

    [Fact]
    public void A_different_snapshot_of_the_same_time_replaces_the_entry_and_an_older_one_does_not()
    {
        var cache = new CohortSnapshotCache();
        cache.Put(Snapshot(At, "a"));

        cache.Put(Snapshot(At, "b"));
        Assert.Equal("b", Assert.Single(cache.TrendingOf(3)).ItemId);
        Assert.True(cache.ArmsOf(3).ContainsKey("b"));

        cache.Put(Snapshot(At.AddSeconds(-1), "c"));
        Assert.Equal("b", Assert.Single(cache.TrendingOf(3)).ItemId);
    }
}
