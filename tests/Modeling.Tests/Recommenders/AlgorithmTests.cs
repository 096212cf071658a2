using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

public sealed class AlgorithmTests
{
    [Fact]
    public void Top_k_returns_the_best_unexcluded_items_best_first_with_ties_by_index()
    {
        float[] scores = [0.5f, 0.9f, 0.1f, 0.9f, 0.7f, float.NaN, 0.8f];

        var top = TopK.Select(scores, 3, excludedSorted: [1, 6]);

        Assert.Equal([3, 4, 0], top);
    }

    [Fact]
    public void Cholesky_solve_matches_a_known_solution()
    {
        // A = [[4, 2], [2, 3]], x = [1, -2] → b = [0, -4].
        double[] a = [4, 2, 2, 3];
        double[] b = [0, -4];

        DenseLinearAlgebra.CholeskySolveInPlace(a, 2, b);

        Assert.Equal(1.0, b[0], 10);
        Assert.Equal(-2.0, b[1], 10);
    }

    [Fact]
    public void Gauss_jordan_inverse_times_the_matrix_is_the_identity()
    {
        const int n = 30;
        var random = new Random(4);
        var m = new double[n * n];
        var a = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                m[(i * n) + j] = random.NextDouble();
            }
        }

        // A = MᵀM + I is symmetric positive definite.
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var s = i == j ? 1.0 : 0.0;
                for (var k = 0; k < n; k++)
                {
                    s += m[(k * n) + i] * m[(k * n) + j];
                }

                a[(i * n) + j] = s;
            }
        }

        var inv = (double[])a.Clone();
        DenseLinearAlgebra.InvertSpdInPlace(inv, n, new ParallelOptions { MaxDegreeOfParallelism = 2 });

        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var s = 0.0;
                for (var k = 0; k < n; k++)
                {
                    s += a[(i * n) + k] * inv[(k * n) + j];
                }

                Assert.Equal(i == j ? 1.0 : 0.0, s, 8);
            }
        }
    }

    [Fact]
    public void Item_knn_similarity_is_shrunk_cosine_and_keeps_k_neighbours()
    {
        // Item a: users 1,2,3; b: users 1,2; c: user 3; d: users 1,2,3,4.
        var builder = new InteractionDatasetBuilder();
        foreach (var (u, i) in new[] { ("1", "a"), ("2", "a"), ("3", "a"), ("1", "b"), ("2", "b"), ("3", "c"), ("1", "d"), ("2", "d"), ("3", "d"), ("4", "d") })
        {
            builder.Add(u, i, 1, 0);
        }

        var data = builder.Build();
        var model = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 2, Shrinkage = 1 });
        model.Fit(new TrainingData(data), new Random(1));
        var a = data.Catalog.Items.IndexOf("a");
        var b = data.Catalog.Items.IndexOf("b");
        var d = data.Catalog.Items.IndexOf("d");

        var neighbours = model.NeighborItems(a).ToArray();
        var sims = model.NeighborSimilarities(a).ToArray();

        // sim(a,d) = 3 / (√3·√4 + 1) ≈ 0.634; sim(a,b) = 2 / (√3·√2 + 1) ≈ 0.580; sim(a,c) = 1 / (√3 + 1) ≈ 0.366.
        Assert.Equal([b, d], neighbours);
        Assert.Equal(2 / (MathF.Sqrt(6) + 1), sims[0], 5);
        Assert.Equal(3 / (MathF.Sqrt(12) + 1), sims[1], 5);
    }

    private static Cohortly.Modeling.Data.InteractionDataset KnnExample()
    {
        var builder = new InteractionDatasetBuilder();
        foreach (var (u, i) in new[] { ("1", "a"), ("2", "a"), ("3", "a"), ("1", "b"), ("2", "b"), ("3", "c"), ("1", "d"), ("2", "d"), ("3", "d"), ("4", "d") })
        {
            builder.Add(u, i, 1, 0);
        }

        return builder.Build();
    }

    [Fact]
    public void Item_knn_asymmetry_zero_divides_the_overlap_by_the_neighbours_popularity()
    {
        var data = KnnExample();
        var model = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 3, Shrinkage = 1, Asymmetry = 0 });
        model.Fit(new TrainingData(data), new Random(1));
        var a = data.Catalog.Items.IndexOf("a");
        var items = data.Catalog.Items;

        var sims = new Dictionary<string, float>();
        for (var k = 0; k < model.NeighborItems(a).Length; k++)
        {
            sims[items[model.NeighborItems(a)[k]]] = model.NeighborSimilarities(a)[k];
        }

        // overlap / (|U_neighbour| + shrink): b 2/3, d 3/5, c 1/2.
        Assert.Equal(2f / 3, sims["b"], 5);
        Assert.Equal(3f / 5, sims["d"], 5);
        Assert.Equal(1f / 2, sims["c"], 5);
    }

    [Fact]
    public void Item_knn_inverse_user_frequency_discounts_heavy_users()
    {
        // u1 is heavy (6 of 7 items); u2, u3 and u4 have two each. Pair (x, y) co-occurs only through u2, pair (x, z)
        // only through u1, and y and z both have two users: plain cosine ties them; with IUF the light user's pair wins.
        var builder = new InteractionDatasetBuilder();
        foreach (var i in new[] { "x", "z", "p", "q", "r", "s" })
        {
            builder.Add("u1", i, 1, 0);
        }

        builder.Add("u2", "x", 1, 0);
        builder.Add("u2", "y", 1, 0);
        builder.Add("u3", "y", 1, 0);
        builder.Add("u3", "p", 1, 0);
        builder.Add("u4", "z", 1, 0);
        builder.Add("u4", "q", 1, 0);
        var data = builder.Build();
        var items = data.Catalog.Items;
        float Sim(bool iuf, string from, string to)
        {
            var m = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 10, Shrinkage = 0, InverseUserFrequency = iuf });
            m.Fit(new TrainingData(data), new Random(1));
            var n = m.NeighborItems(items.IndexOf(from));
            var k = n.IndexOf(items.IndexOf(to));
            return k < 0 ? 0 : m.NeighborSimilarities(items.IndexOf(from))[k];
        }

        Assert.Equal(Sim(false, "x", "y"), Sim(false, "x", "z"), 5);
        Assert.True(Sim(true, "x", "y") > 1.5f * Sim(true, "x", "z"));
    }

    [Fact]
    public void Ease_weights_have_a_zero_diagonal_and_link_co_occurring_items()
    {
        var planted = Planted.Data();
        var model = new EaseRecommender(new EaseOptions { Regularization = 10 });
        model.Fit(Planted.Training(planted), new Random(1));

        for (var i = 0; i < Planted.Items; i += 17)
        {
            Assert.Equal(0f, model.WeightsFrom(i)[i]);
        }

        // Item 0 (popular, block one) weighs block-one items more than block-two items on average.
        var w = model.WeightsFrom(0);
        var own = 0f;
        var other = 0f;
        for (var j = 1; j < 60; j++)
        {
            own += w[j];
        }

        for (var j = 60; j < 120; j++)
        {
            other += w[j];
        }

        Assert.True(own > other);
    }

    [Fact]
    public void Ease_refuses_catalogs_above_its_item_limit()
    {
        var model = new EaseRecommender(new EaseOptions { MaxItems = 50 });

        var e = Assert.Throws<InvalidOperationException>(() => model.Fit(Planted.Training(Planted.Data()), new Random(1)));

        Assert.Contains("120", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blend_of_one_model_ranks_like_that_model_and_weights_shift_the_ranking()
    {
        var planted = Planted.Data();
        var training = Planted.Training(planted);
        var knn = new ItemKnnRecommender();
        var popularity = new PopularityRecommender();
        knn.Fit(training, new Random(1));
        popularity.Fit(training, new Random(1));
        var alone = new BlendRecommender([new(knn, 2f)], fitComponents: false);
        var popHeavy = new BlendRecommender([new(knn, 0.01f), new(popularity, 1f)], fitComponents: false);
        var a = new float[Planted.Items];
        var b = new float[Planted.Items];
        var p = new float[Planted.Items];

        knn.Score(5, a);
        alone.Score(5, b);
        popularity.Score(5, p);

        Assert.Equal(TopK.Select(a, 10), TopK.Select(b, 10));
        popHeavy.Score(5, b);
        Assert.Equal(TopK.Select(p, 10), TopK.Select(b, 10));
    }
}
