using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Ranking;

public sealed class RankerTests
{
    private static (LambdaMartRanker Ranker, double RankerNdcg, double BestGeneratorNdcg, string BestName) FitOnPlanted()
    {
        // Two planted user groups with their own item blocks; the groups are handed over as cohorts.
        var planted = SyntheticInteractions.PlantedBlocks(300, 150, 2, 30, 0.8, new Random(3));
        var split = DatasetSplitter.RandomPerUser(planted.Data, SplitRatios.Default, new Random(4));
        var train = new TrainingData(split.Train, planted.UserGroups);
        var knn = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 20 });
        knn.Fit(train, new Random(1));
        var pop = new PopularityRecommender();
        pop.Fit(train, new Random(1));
        var ranker = new LambdaMartRanker([new CandidateGenerator("itemknn", knn), new CandidateGenerator("pop", pop)], SparseMatrix.UserItem(split.Validation), new RankerOptions { CandidatesPerGenerator = 40 });
        ranker.Fit(train, new Random(5));

        var test = RankingEvaluator.ForTest(split, new RankingEvaluatorOptions { ComputeBeyondAccuracy = false });
        var knnNdcg = test.Evaluate(knn).Overall.Ndcg;
        var popNdcg = test.Evaluate(pop).Overall.Ndcg;
        return (ranker, test.Evaluate(ranker).Overall.Ndcg, Math.Max(knnNdcg, popNdcg), knnNdcg >= popNdcg ? "itemknn" : "pop");
    }

    [Fact]
    public void Ranker_trained_on_validation_labels_beats_its_best_generator_on_test()
    {
        var (ranker, rankerNdcg, best, name) = FitOnPlanted();

        Assert.True(ranker.TreeCount > 0);
        Assert.True(rankerNdcg >= best, $"ranker {rankerNdcg:F4} vs best generator {name} {best:F4}");
    }

    [Fact]
    public void Explanation_contributions_sum_to_the_ranked_score()
    {
        var (ranker, _, _, _) = FitOnPlanted();
        var scores = new float[ranker.ItemCount];
        ranker.Score(0, scores);
        var item = Array.IndexOf(scores, scores.Max());

        var contributions = ranker.Explain(0, item, out var expected, out var score);

        Assert.Equal(scores[item], score, 3);
        Assert.Equal(score, expected + contributions.Sum(c => c.Contribution), 6);
        Assert.Equal(ranker.FeatureNames.Count, contributions.Count);
        Assert.True(ranker.GainImportance().Sum() > 0);
    }

    [Fact]
    public void Written_ranker_reads_back_with_the_same_scores()
    {
        var (ranker, _, _, _) = FitOnPlanted();
        var serializer = RecommenderSerializer.Default.With(LambdaMartRanker.KindName, LambdaMartRanker.Read);

        var copy = serializer.Deserialize(serializer.Serialize(ranker));

        var a = new float[ranker.ItemCount];
        var b = new float[ranker.ItemCount];
        ranker.Score(7, a);
        copy.Score(7, b);
        Assert.Equal(a, b);
        ranker.ScoreItems([1, 2, 3], a);
        copy.ScoreItems([1, 2, 3], b);
        Assert.Equal(a, b);
    }
}
