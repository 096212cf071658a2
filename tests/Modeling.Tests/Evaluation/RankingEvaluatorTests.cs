using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Evaluation;

public sealed class RankingEvaluatorTests
{
    /// <summary>Scores item i as (ItemCount − i): item 0 is everyone's favourite.</summary>
    private sealed class DescendingRecommender(int users, int items) : IRecommender
    {
        public string Kind => "descending";

        public int ItemCount => items;

        public int UserCount => users;

        public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
        {
        }

        public void Score(int user, Span<float> scores)
        {
            for (var i = 0; i < items; i++)
            {
                scores[i] = items - i;
            }
        }

        public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores) => Score(0, scores);

        public void Write(BinaryWriter writer) => throw new NotSupportedException();
    }

    private static SparseMatrix Matrix(int users, int items, params (int User, int Item)[] pairs)
    {
        var u = pairs.Select(p => p.User).ToArray();
        var i = pairs.Select(p => p.Item).ToArray();
        return SparseMatrix.FromCoordinates(users, items, u, i, Enumerable.Repeat(1f, pairs.Length).ToArray());
    }

    [Fact]
    public void Known_items_are_excluded_and_metrics_average_over_users_with_relevant_items()
    {
        // 3 users, 6 items, k = 2. The model ranks 0,1,2,3,...
        // user 0 knows {0}: top-2 = [1, 2]; relevant {2} → hit at rank 2.
        // user 1 knows {}: top-2 = [0, 1]; relevant {5} → miss.
        // user 2 has nothing relevant → not evaluated.
        var excluded = Matrix(3, 6, (0, 0));
        var relevant = Matrix(3, 6, (0, 2), (1, 5));
        var popularity = Matrix(3, 6, (0, 0), (1, 0), (2, 0), (2, 1));
        var evaluator = new RankingEvaluator(excluded, relevant, popularity, new RankingEvaluatorOptions
        {
            K = 2,
            UserGroups = [0, 1, 1],
            Similarity = new DelegateSimilarity((a, b) => 0.25f),
        });

        var result = evaluator.Evaluate(new DescendingRecommender(3, 6));

        Assert.Equal(2, result.Overall.Users);
        Assert.Equal(1 / Math.Log2(3) / 2, result.Overall.Ndcg, 12);
        Assert.Equal(0.5, result.Overall.Recall, 12);
        Assert.Equal(0.25, result.Overall.Precision, 12);
        Assert.Equal(0.25, result.Overall.Mrr, 12);
        Assert.Equal(0.5, result.Overall.Hit, 12);
        Assert.Equal(3.0 / 6, result.Overall.Coverage, 12); // items 0, 1, 2
        Assert.Equal(0.75, result.Overall.Diversity, 6);

        // Self-information with 3 users: item 0 (3 users) 0 bits, item 1 (1 user) log2 3, item 2 (none → 1) log2 3.
        var expectedNovelty = ((2 * Math.Log2(3)) + Math.Log2(3)) / 4;
        Assert.Equal(expectedNovelty, result.Overall.Novelty, 12);

        Assert.Equal([0, 1], result.ByGroup.Keys);
        Assert.Equal(1.0, result.ByGroup[0].Hit);
        Assert.Equal(0.0, result.ByGroup[1].Hit);
        Assert.Equal(2.0 / 6, result.ByGroup[1].Coverage, 12);
    }

    [Fact]
    public void Test_evaluation_excludes_validation_items_as_well_as_training_items()
    {
        var b = new InteractionDatasetBuilder();
        b.Add("u", "a", 1, 1);
        b.Add("u", "b", 1, 2);
        b.Add("u", "c", 1, 3);
        b.AddItem("d");
        var all = b.Build();
        var split = new DatasetSplit(all.Select([0]), all.Select([1]), all.Select([2]));

        var lists = RankingEvaluator.ForTest(split, new RankingEvaluatorOptions { K = 3 }).Recommend(new DescendingRecommender(1, 4));

        Assert.Equal([2, 3, -1], lists);
    }

    [Fact]
    public void Evaluation_does_not_depend_on_the_thread_count()
    {
        var planted = SyntheticInteractions.PlantedBlocks(150, 80, 3, 15, 0.8, new Random(5));
        var split = EvaluationProtocol.RecBole.SplitData(planted.Data, new Random(6));
        var model = new ItemKnnRecommender();
        model.Fit(new TrainingData(split.Train), new Random(1));

        var one = RankingEvaluator.ForTest(split, new RankingEvaluatorOptions { MaxDegreeOfParallelism = 1 }).Evaluate(model);
        var four = RankingEvaluator.ForTest(split, new RankingEvaluatorOptions { MaxDegreeOfParallelism = 4 }).Evaluate(model);

        Assert.Equal(one.Overall, four.Overall);
        Assert.True(one.Overall.Ndcg > 0);
    }
}
