using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Cohorts;

public sealed class CohortAwareRecommenderTests
{
    private static (CohortAwareRecommender Model, EvaluationResult Adapted, EvaluationResult Global) FitOnThreeGroups(CohortStrategyOptions? options = null, int seed = 1)
    {
        var (split, groups) = CohortWorlds.ThreeGroups(seed: seed);
        var train = new TrainingData(split.Train, groups);
        var popularity = new PopularityRecommender();
        popularity.Fit(train, new Random(1));
        // The weights form alone (what these tests are about); the offset forms have CohortAdaptationFormTests.
        var model = new CohortAwareRecommender([new CohortSignal("pop", popularity, 1)], SparseMatrix.UserItem(split.Validation), options ?? new CohortStrategyOptions { Forms = [CohortAdaptationForm.Weights] });
        model.Fit(train, new Random(2));
        var test = RankingEvaluator.ForTest(split, new RankingEvaluatorOptions { UserGroups = groups, ComputeBeyondAccuracy = false });
        return (model, test.Evaluate(model), test.Evaluate(model.GlobalOnly()));
    }

    [Fact]
    public void Cohorts_with_their_own_item_block_adopt_adaptation_and_beat_global_on_test()
    {
        var (model, adapted, global) = FitOnThreeGroups();

        Assert.True(model.Decisions[0].Adapted, $"group 0: {model.Decisions[0]}");
        Assert.True(model.Decisions[1].Adapted, $"group 1: {model.Decisions[1]}");
        for (var g = 0; g < 2; g++)
        {
            Assert.True(adapted.ByGroup[g].Ndcg > global.ByGroup[g].Ndcg + 0.02, $"group {g}: {adapted.ByGroup[g].Ndcg:F4} vs global {global.ByGroup[g].Ndcg:F4}");
            Assert.True(model.Decisions[g].Weights[1] > 0, "the cohort popularity prior carries the block preference");
        }

        Assert.True(adapted.Overall.Ndcg > global.Overall.Ndcg);
    }

    [Fact]
    public void Cohort_without_a_learnable_preference_falls_back_to_global()
    {
        // Selection is a one-sided test at about 5% per cohort, so a chance adoption is allowed in one of eight worlds.
        var fallbacks = 0;
        for (var seed = 1; seed <= 8; seed++)
        {
            var (model, adapted, global) = FitOnThreeGroups(seed: seed);
            var d = model.Decisions[2];
            if (!d.Adapted)
            {
                fallbacks++;
                Assert.Equal([1f, 0f], d.Weights);
                Assert.Equal(global.ByGroup[2].Ndcg, adapted.ByGroup[2].Ndcg, 12);
            }

            Assert.True(model.Decisions[0].Adapted && model.Decisions[1].Adapted, $"seed {seed}: block cohorts must adapt");
        }

        Assert.True(fallbacks >= 7, $"group 2 fell back in {fallbacks} of 8 worlds");
    }

    [Fact]
    public void Cohorts_below_the_minimum_validation_users_keep_global_weights()
    {
        var (model, _, _) = FitOnThreeGroups(new CohortStrategyOptions { MinValidationUsers = 1000 });

        Assert.All(model.Decisions, d => Assert.False(d.Adapted));
    }

    [Fact]
    public void Written_model_reads_back_with_the_same_scores_and_decisions()
    {
        var (model, _, _) = FitOnThreeGroups();
        var serializer = RecommenderSerializer.Default.With(CohortAwareRecommender.KindName, CohortAwareRecommender.Read);

        var copy = (CohortAwareRecommender)serializer.Deserialize(serializer.Serialize(model));

        var a = new float[model.ItemCount];
        var b = new float[model.ItemCount];
        foreach (var user in new[] { 0, 1, 2, 100 })
        {
            model.Score(user, a);
            copy.Score(user, b);
            Assert.Equal(a, b);
        }

        Assert.Equal(model.Decisions.Select(d => d.Adapted), copy.Decisions.Select(d => d.Adapted));
    }
}
