using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

public sealed class PlantedStructureTests
{
    public static TheoryData<string> Models => ["ials", "itemknn", "ease"];

    private static IRecommender Create(string name) => name switch
    {
        "ials" => new IalsRecommender(new IalsOptions { Factors = 8, Iterations = 8, Regularization = 5, Alpha = 5 }),
        "itemknn" => new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 30, Shrinkage = 5 }),
        "ease" => new EaseRecommender(new EaseOptions { Regularization = 50 }),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Model_recommends_from_the_users_own_item_block(string name)
    {
        var planted = Planted.Data();
        var training = Planted.Training(planted);
        var model = Create(name);
        var chance = new RandomRecommender(3);
        model.Fit(training, new Random(5));
        chance.Fit(training, new Random(5));

        var share = Planted.InBlockShare(model, planted, training);
        var chanceShare = Planted.InBlockShare(chance, planted, training);

        Assert.InRange(chanceShare, 0.35, 0.65);
        Assert.True(share > 0.9, $"{name}: only {share:P0} of the top-10 lie in the user's block");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Model_beats_chance_and_popularity_on_held_out_items(string name)
    {
        var planted = Planted.Data();
        var split = EvaluationProtocol.RecBole.SplitData(planted.Data, new Random(9));
        var training = new Cohortly.Modeling.Recommenders.TrainingData(split.Train);
        var evaluator = RankingEvaluator.ForTest(split);
        var model = Create(name);
        var chance = new RandomRecommender(3);
        var popularity = new PopularityRecommender();
        model.Fit(training, new Random(5));
        chance.Fit(training, new Random(5));
        popularity.Fit(training, new Random(5));

        var ndcg = evaluator.Evaluate(model).Overall.Ndcg;
        var chanceNdcg = evaluator.Evaluate(chance).Overall.Ndcg;
        var popNdcg = evaluator.Evaluate(popularity).Overall.Ndcg;

        Assert.True(ndcg > 2 * chanceNdcg, $"{name}: ndcg {ndcg:F3} vs chance {chanceNdcg:F3}");
        Assert.True(ndcg > popNdcg, $"{name}: ndcg {ndcg:F3} vs popularity {popNdcg:F3}");
    }

    [Fact]
    public void Ials_training_is_deterministic_for_a_seed_whatever_the_thread_count()
    {
        var training = Planted.Training(Planted.Data());
        var one = new IalsRecommender(new IalsOptions { Factors = 8, Iterations = 3, MaxDegreeOfParallelism = 1 });
        var many = new IalsRecommender(new IalsOptions { Factors = 8, Iterations = 3, MaxDegreeOfParallelism = 4 });
        one.Fit(training, new Random(42));
        many.Fit(training, new Random(42));

        Assert.Equal(one.UserFactors(17).ToArray(), many.UserFactors(17).ToArray());
        Assert.Equal(one.ItemFactors(99).ToArray(), many.ItemFactors(99).ToArray());
    }

    [Fact]
    public void Popularity_weighted_negatives_push_ials_toward_less_popular_items()
    {
        var training = Planted.Training(Planted.Data());
        double MeanPopularityOfTop10(float gamma)
        {
            var model = new IalsRecommender(new IalsOptions { Factors = 8, Iterations = 8, Regularization = 5, Alpha = 5, UnobservedPopularityExponent = gamma });
            model.Fit(training, new Random(3));
            var scores = new float[Planted.Items];
            var sum = 0.0;
            var n = 0;
            for (var u = 0; u < training.UserCount; u++)
            {
                model.Score(u, scores);
                foreach (var i in TopK.Select(scores, 10, training.UserItems.RowColumns(u)))
                {
                    sum += training.ItemUsers.RowLength(i);
                    n++;
                }
            }

            return sum / n;
        }

        Assert.True(MeanPopularityOfTop10(1f) < 0.9 * MeanPopularityOfTop10(0f));
    }
}
