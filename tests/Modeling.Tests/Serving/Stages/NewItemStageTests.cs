using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class NewItemStageTests
{
    private static List<ServingCandidate> Pool() => [new(0, StageWorld.Id(0), 2.0, 0), new(1, StageWorld.Id(1), 1.5, 1)];

    [Fact]
    public void Unknown_trending_items_join_just_below_the_weakest_candidate_within_half_the_count()
    {
        var pool = Pool();
        var request = StageWorld.Request() with
        {
            CohortTrending = [new("new-a", 3), new(StageWorld.Id(5), 2), new("new-b", 1)],
            GlobalTrending = [new("new-c", 1)],
            CategoriesOf = id => id == "new-a" ? ["Shoes", "Sale"] : null,
        };

        NewItemStage.AddNewItems(StageWorld.World.Bundle, request, pool, 4);

        Assert.Equal(4, pool.Count);
        Assert.Equal(("new-a", -1, 2), (pool[2].Id, pool[2].Item, pool[2].Order));
        Assert.Equal(1.49, pool[2].Relevance, 12);
        Assert.Equal("Shoes", pool[2].Category);
        Assert.Equal(("new-b", 1.48, 3), (pool[3].Id, Math.Round(pool[3].Relevance, 12), pool[3].Order));
        Assert.Null(pool[3].Category);
    }

    [Fact]
    public void Excluded_unavailable_filtered_and_repeated_new_items_are_skipped()
    {
        var pool = Pool();
        var request = StageWorld.Request() with
        {
            CohortTrending = [new("excluded", 5), new("unavailable", 4), new("hats", 3), new("kept", 2)],
            GlobalTrending = [new("kept", 9), new("also-kept", 1)],
            Excluded = new HashSet<string> { "excluded" },
            IsAvailable = id => id != "unavailable",
            CategoriesOf = id => id == "hats" ? ["Hats"] : ["Shoes"],
            ExcludeCategories = ["hats"],
        };

        NewItemStage.AddNewItems(StageWorld.World.Bundle, request, pool, 10);

        Assert.Equal(["kept", "also-kept"], pool.Skip(2).Select(c => c.Id));
    }

    [Fact]
    public void An_empty_pool_puts_new_items_just_below_zero()
    {
        var pool = new List<ServingCandidate>();

        NewItemStage.AddNewItems(StageWorld.World.Bundle, StageWorld.Request() with { GlobalTrending = [new("new-a", 1)] }, pool, 1);

        Assert.Equal(-0.01, Assert.Single(pool).Relevance, 12);
    }

    [Fact]
    public void Unknown_ranks_are_kept_per_list_and_bundle()
    {
        IReadOnlyList<TrendingItem> list = [new(StageWorld.Id(0), 3), new("new-a", 2), new(StageWorld.Id(1), 1), new("new-b", 0)];
        var other = ServingBundles.Create(users: 60, items: 40, seed: 11).Bundle;

        var first = NewItemStage.UnknownRanks(StageWorld.World.Bundle, list);
        var again = NewItemStage.UnknownRanks(StageWorld.World.Bundle, list);
        var otherBundle = NewItemStage.UnknownRanks(other, list);

        Assert.Equal([1, 3], first);
        Assert.Same(first, again);
        Assert.NotSame(first, otherBundle);
    }
}
