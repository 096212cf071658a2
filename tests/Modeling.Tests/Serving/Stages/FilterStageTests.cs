using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class FilterStageTests
{
    /// <summary>Item i scores n − i: item 0 is the best.</summary>
    private static float[] Descending()
    {
        var n = StageWorld.World.Bundle.ItemIds.Count;
        var scores = new float[n];
        for (var i = 0; i < n; i++)
        {
            scores[i] = n - i;
        }

        return scores;
    }

    [Fact]
    public void The_pool_is_the_best_eligible_items_in_score_order_numbered_by_rank()
    {
        var bundle = StageWorld.World.Bundle;
        var unavailable = new bool[bundle.ItemIds.Count];
        unavailable[1] = true;
        var excludedCategory = StageWorld.Index.CategoryOf(3)!;
        var request = StageWorld.Request() with { UnavailableItems = unavailable, ExcludeCategories = [excludedCategory] };

        var pool = FilterStage.SelectPool(bundle, StageWorld.Index, request, Descending(), [0, 2], 5);

        var expected = new List<int>();
        for (var i = 3; expected.Count < 5; i++)
        {
            if (StageWorld.Index.CategoryOf(i) != excludedCategory)
            {
                expected.Add(i);
            }
        }

        Assert.Equal(expected, pool.Select(c => c.Item));
        Assert.Equal([0, 1, 2, 3, 4], pool.Select(c => c.Order));
        Assert.Equal(expected.Select(i => StageWorld.Id(i)), pool.Select(c => c.Id));
        Assert.All(pool, c => Assert.Equal(c.Relevance, c.Score));
        Assert.Equal(bundle.ItemIds.Count - expected[0], pool[0].Relevance);
    }

    [Fact]
    public void The_search_widens_until_enough_items_pass_the_filters()
    {
        var bundle = StageWorld.World.Bundle;
        var n = bundle.ItemIds.Count;
        // Only the items in the bottom third are available: far beyond the first heap of want + 8.
        var request = StageWorld.Request() with { IsAvailable = id => bundle.ItemIndex(id) >= 2 * n / 3 };

        var pool = FilterStage.SelectPool(bundle, StageWorld.Index, request, Descending(), [], 6);

        Assert.Equal(Enumerable.Range(2 * n / 3, 6), pool.Select(c => c.Item));
    }

    [Fact]
    public void Nothing_is_selected_when_nothing_is_wanted_or_everything_is_filtered()
    {
        var bundle = StageWorld.World.Bundle;

        Assert.Empty(FilterStage.SelectPool(bundle, StageWorld.Index, StageWorld.Request(), Descending(), [], 0));
        Assert.Empty(FilterStage.SelectPool(bundle, StageWorld.Index, StageWorld.Request() with { IsAvailable = _ => false }, Descending(), [], 4));
    }

    [Fact]
    public void Category_filters_include_and_exclude_case_insensitively()
    {
        var request = StageWorld.Request() with { IncludeCategories = ["Shoes"], ExcludeCategories = ["sale"] };

        Assert.True(FilterStage.PassesCategories(request, ["shoes"]));
        Assert.False(FilterStage.PassesCategories(request, ["Hats"]));
        Assert.False(FilterStage.PassesCategories(request, ["Shoes", "Sale"]));
    }
}
