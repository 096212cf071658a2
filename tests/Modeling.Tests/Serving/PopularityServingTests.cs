using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Trending;

namespace Cohortly.Modeling.Tests.Serving;

public sealed class PopularityServingTests
{
    private static readonly ScoredItem[] Cohort = [new("c1", 9), new("shared", 8), new("c2", 7)];

    private static readonly ScoredItem[] Global = [new("shared", 50), new("g1", 40), new("g2", 30)];

    [Fact]
    public void Cohort_items_come_first_then_global_ones_without_repeats_each_with_its_reason()
    {
        var result = PopularityServing.Recommend(new PopularityRequest { CohortTop = Cohort, GlobalTop = Global, CohortLabel = "night owls", Count = 5 });

        Assert.Equal(PopularityServing.CohortPopularity, result.Strategy);
        Assert.Equal(["c1", "shared", "c2", "g1", "g2"], result.Items.Select(i => i.ItemId));
        Assert.Equal([9.0, 8, 7, 40, 30], result.Items.Select(i => i.Score));
        Assert.Equal(
            ["popular in your cohort \"night owls\"", "popular in your cohort \"night owls\"", "popular in your cohort \"night owls\"", "popular with all shoppers", "popular with all shoppers"],
            result.Items.Select(i => i.Reason));
        Assert.All(result.Items, i => Assert.False(i.Explored));
        Assert.All(result.Items, i => Assert.Null(i.Contributions));
    }

    [Fact]
    public void Excluded_unavailable_and_filtered_out_items_are_skipped()
    {
        var result = PopularityServing.Recommend(new PopularityRequest
        {
            CohortTop = Cohort,
            GlobalTop = Global,
            Excluded = new HashSet<string> { "c1" },
            IsAvailable = id => id != "g1",
            CategoriesOf = id => id == "c2" ? ["Hats"] : ["Shoes"],
            ExcludeCategories = ["hats"],
            Count = 10,
        });

        Assert.Equal(["shared", "g2"], result.Items.Select(i => i.ItemId));
    }

    [Fact]
    public void The_count_limits_the_list()
    {
        var result = PopularityServing.Recommend(new PopularityRequest { CohortTop = Cohort, GlobalTop = Global, Count = 2 });

        Assert.Equal(["c1", "shared"], result.Items.Select(i => i.ItemId));
    }

    [Fact]
    public void Without_cohort_items_left_the_strategy_is_global_and_without_any_it_is_empty()
    {
        var global = PopularityServing.Recommend(new PopularityRequest { CohortTop = Cohort, GlobalTop = Global, IncludeCategories = ["Shoes"], CategoriesOf = id => id.StartsWith('g') ? ["Shoes"] : null });
        var noCohort = PopularityServing.Recommend(new PopularityRequest { GlobalTop = Global });
        var empty = PopularityServing.Recommend(new PopularityRequest { CohortTop = Cohort, GlobalTop = Global, IsAvailable = _ => false });

        Assert.Equal(PopularityServing.GlobalPopularity, global.Strategy);
        Assert.Equal(["g1", "g2"], global.Items.Select(i => i.ItemId));
        Assert.Equal(PopularityServing.GlobalPopularity, noCohort.Strategy);
        Assert.Equal(PopularityServing.Empty, empty.Strategy);
        Assert.Empty(empty.Items);
    }
}
