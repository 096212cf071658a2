using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class ScoreStageTests
{
    [Fact]
    public void A_cohort_without_a_model_in_the_bundle_is_scored_by_the_global_blend_with_a_reason()
    {
        var bundle = StageWorld.World.Bundle;
        var index = StageWorld.Index;

        Assert.Equal(-1, ScoreStage.GroupOf(bundle, index, 999, out var unknownReason));
        Assert.Equal("cohort 999 has no model in version 12", unknownReason);
        Assert.Equal(-1, ScoreStage.GroupOf(bundle, index, null, out var noneReason));
        Assert.Null(noneReason);
        Assert.Equal(bundle.GroupOf(ServingWorld.CohortIdOf(1)), ScoreStage.GroupOf(bundle, index, ServingWorld.CohortIdOf(1), out var knownReason));
        Assert.Null(knownReason);
    }

    [Fact]
    public void A_known_user_with_nothing_new_is_scored_as_training_scored_them()
    {
        var w = StageWorld.World;
        var u = StageWorld.UserWithHistory();
        var group = w.Bundle.GroupOf(ServingWorld.CohortIdOf(w.GroupOfUser(u)))!.Value;
        var expected = new float[w.Bundle.ItemIds.Count];
        w.Bundle.Scorer.Score(u, expected);

        using var history = ServingHistory.Read(w.Bundle, StageWorld.Request(w.UserId(u)), u);
        using var scores = ScoreStage.Score(w.Bundle, StageWorld.Index, group, u, history);

        // The strategy names the weights that served: the cohort's own only where training adopted them.
        Assert.Equal(StageWorld.Index.IsAdapted(group) ? RecommendationPipeline.CohortModel : RecommendationPipeline.GlobalModel, scores.Strategy);
        Assert.NotNull(scores.Parts);
        Assert.Equal(expected.Length, scores.Total.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], scores.Total[i], 4);
        }
    }

    [Fact]
    public void A_new_event_folds_the_user_in_and_moves_the_scores()
    {
        var w = StageWorld.World;
        var u = StageWorld.UserWithHistory();
        var unseen = StageWorld.Unseen(u, 1)[0];
        var request = StageWorld.Request(w.UserId(u));

        using var before = ServingHistory.Read(w.Bundle, request, u);
        using var after = ServingHistory.Read(w.Bundle, request with { RecentItems = [new RecentItem(StageWorld.Id(unseen), InteractionType.Purchase, 1)] }, u);
        using var trained = ScoreStage.Score(w.Bundle, StageWorld.Index, -1, u, before);
        using var folded = ScoreStage.Score(w.Bundle, StageWorld.Index, -1, u, after);

        Assert.Equal(RecommendationPipeline.GlobalModel, folded.Strategy);
        Assert.NotEqual(trained.Total.ToArray(), folded.Total.ToArray());
    }

    [Fact]
    public void Without_history_only_a_cohort_with_its_own_popularity_can_be_scored()
    {
        var index = StageWorld.Index;
        using var empty = ServingHistory.Read(StageWorld.World.Bundle, StageWorld.Request(), -1);

        Assert.False(ScoreStage.CanScore(index, -1, empty));
        for (var g = 0; g < index.GroupWeights.Length; g++)
        {
            Assert.Equal(!index.CohortPopularityOf(g).IsEmpty, ScoreStage.CanScore(index, g, empty));
        }
    }
}
