using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class ColdStartStageTests
{
    private static int Best(ReadOnlySpan<float> scores, int skip = -1)
    {
        var best = -1;
        for (var i = 0; i < scores.Length; i++)
        {
            if (i != skip && (best < 0 || scores[i] > scores[best]))
            {
                best = i;
            }
        }

        return best;
    }

    private static int LeastPopular(ServingIndex index, int skip = -1) => Best(index.PopularityStandardized.Select(v => -v).ToArray(), skip);

    [Fact]
    public void Without_anything_known_the_scores_are_global_popularity()
    {
        var index = StageWorld.Index;

        using var scores = ColdStartStage.Score(StageWorld.World.Bundle, index, StageWorld.Request(), -1, null);

        Assert.Equal(RecommendationPipeline.ColdStartPopularity, scores.Strategy);
        Assert.Null(scores.Parts);
        Assert.Equal(index.PopularityStandardized, scores.Total.ToArray());
    }

    [Fact]
    public void The_cohorts_trending_items_outrank_everything_in_trending_order()
    {
        var index = StageWorld.Index;
        var first = LeastPopular(index);
        var second = LeastPopular(index, first);
        var request = StageWorld.Request() with
        {
            CohortId = ServingWorld.CohortIdOf(0),
            CohortTrending = [new TrendingItem(StageWorld.Id(second), 2), new TrendingItem(StageWorld.Id(first), 1), new TrendingItem("unknown", 0)],
        };

        using var scores = ColdStartStage.Score(StageWorld.World.Bundle, index, request, 0, null);

        Assert.Equal(second, Best(scores.Total));
        Assert.Equal(first, Best(scores.Total, second));
    }

    [Fact]
    public void Without_a_cohort_its_trending_list_is_not_used_but_the_global_one_is()
    {
        var index = StageWorld.Index;
        var item = LeastPopular(index);
        var trending = new TrendingItem[] { new(StageWorld.Id(item), 1) };

        using var cohortOnly = ColdStartStage.Score(StageWorld.World.Bundle, index, StageWorld.Request() with { CohortTrending = trending }, -1, null);
        using var global = ColdStartStage.Score(StageWorld.World.Bundle, index, StageWorld.Request() with { GlobalTrending = trending }, -1, null);

        Assert.Equal(index.PopularityStandardized[item], cohortOnly.Total[item]);
        Assert.Equal(index.PopularityStandardized[item] + 1, global.Total[item]);
    }

    [Fact]
    public void Interests_put_every_item_of_their_categories_first_with_the_content_strategy()
    {
        var index = StageWorld.Index;
        var category = index.CategoryOf(LeastPopular(index))!;

        using var scores = ColdStartStage.Score(StageWorld.World.Bundle, index, StageWorld.Request(), -1, ["no-such-category", category.ToUpperInvariant()]);

        Assert.Equal(RecommendationPipeline.ColdStartContent, scores.Strategy);
        var lowestWanted = float.MaxValue;
        var highestOther = float.MinValue;
        for (var i = 0; i < scores.Total.Length; i++)
        {
            if (index.CategoryOf(i) == category)
            {
                lowestWanted = Math.Min(lowestWanted, scores.Total[i]);
            }
            else
            {
                highestOther = Math.Max(highestOther, scores.Total[i]);
            }
        }

        Assert.True(lowestWanted > highestOther, $"{lowestWanted} should exceed {highestOther}");
    }

    [Fact]
    public void Interests_in_unknown_categories_leave_the_popularity_strategy()
    {
        using var scores = ColdStartStage.Score(StageWorld.World.Bundle, StageWorld.Index, StageWorld.Request(), -1, ["no-such-category"]);

        Assert.Equal(RecommendationPipeline.ColdStartPopularity, scores.Strategy);
    }
}
