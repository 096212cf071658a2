using Cohortly.Modeling.Diversity;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Tests.Diversity;

public sealed class DiversityTests
{
    private const int PerTopic = 10;
    private const int Dimension = 8;

    public static TheoryData<string> Methods => ["mmr", "dpp"];

    [Theory]
    [MemberData(nameof(Methods))]
    public void Lambda_one_keeps_the_relevance_order(string method)
    {
        var (relevance, vectors, _) = ThreeTopics(new Random(1));

        var picked = Create(method, 1.0).Select(relevance, vectors, 6);

        var expected = Enumerable.Range(0, relevance.Length).OrderByDescending(i => relevance[i]).Take(6).ToArray();
        Assert.Equal(expected, picked);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Diversity_increases_as_lambda_decreases(string method)
    {
        var (relevance, vectors, topic) = ThreeTopics(new Random(2));

        var similarity = new List<double>();
        var meanRelevance = new List<double>();
        var topics = new List<int>();
        foreach (var lambda in new[] { 1.0, 0.8, 0.6, 0.4 })
        {
            var picked = Create(method, lambda).Select(relevance, vectors, 6);
            Assert.Equal(6, picked.Distinct().Count());
            similarity.Add(IntraListSimilarity(vectors, picked));
            meanRelevance.Add(picked.Average(i => relevance[i]));
            topics.Add(picked.Select(i => topic[i]).Distinct().Count());
        }

        // Lower λ buys diversity (lower intra-list similarity) with relevance.
        for (var i = 1; i < similarity.Count; i++)
        {
            Assert.True(similarity[i] <= similarity[i - 1] + 1e-9, $"similarity rose at step {i}: {string.Join(", ", similarity)}");
            Assert.True(meanRelevance[i] <= meanRelevance[i - 1] + 1e-9, $"relevance rose at step {i}: {string.Join(", ", meanRelevance)}");
        }

        Assert.True(similarity[^1] < similarity[0] - 0.5, string.Join(", ", similarity));
        Assert.Equal(1, topics[0]);
        Assert.Equal(3, topics[^1]);
    }

    [Fact]
    public void Mmr_with_a_similarity_function_matches_dense_cosine()
    {
        var (relevance, vectors, _) = ThreeTopics(new Random(3));
        var mmr = new MaximalMarginalRelevance(0.5);

        var dense = mmr.Select(relevance, vectors, 8);
        var viaFunction = mmr.Select(relevance, (a, b) => Cosine(vectors.ReadRow(a), vectors.ReadRow(b)), 8);

        Assert.Equal(dense, viaFunction);
    }

    [Fact]
    public void Mmr_with_category_similarity_brings_in_the_other_category_early()
    {
        // Category 1 is far less relevant, yet its best item is picked second; once both categories
        // are represented every candidate carries the same penalty and relevance decides again.
        double[] relevance = [1.0, 0.95, 0.9, 0.85, 0.5, 0.45, 0.4];
        int[] category = [0, 0, 0, 0, 1, 1, 1];
        var mmr = new MaximalMarginalRelevance(0.5);

        var picked = mmr.Select(relevance, (a, b) => category[a] == category[b] ? 1 : 0, 4);

        Assert.Equal([0, 4, 1, 2], picked);
    }

    [Fact]
    public void Greedy_dpp_matches_a_brute_force_determinant_greedy()
    {
        var random = new Random(4);
        const int n = 12;
        var vectors = RandomMatrix(random, n, 5);
        var relevance = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        const double lambda = 0.6;

        var fast = new GreedyDpp(lambda).Select(relevance, vectors, 5);

        // Same objective, evaluated naively: add the item that maximizes det(L_Y).
        var rel = MinMax(relevance);
        var alpha = lambda / (2 * (1 - lambda));
        var q = rel.Select(r => Math.Exp(alpha * r)).ToArray();
        var chosen = new List<int>();
        for (var step = 0; step < 5; step++)
        {
            var best = -1;
            var bestDet = double.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                if (chosen.Contains(i))
                {
                    continue;
                }

                var set = chosen.Append(i).ToArray();
                var det = Determinant(set.Select(a => set.Select(b => q[a] * q[b] * Cosine(vectors.ReadRow(a), vectors.ReadRow(b))).ToArray()).ToArray());
                if (det > bestDet)
                {
                    bestDet = det;
                    best = i;
                }
            }

            chosen.Add(best);
        }

        Assert.Equal(chosen, fast);
    }

    [Fact]
    public void Greedy_dpp_fills_with_relevance_when_candidates_add_no_volume()
    {
        // Four copies of one direction and one other direction: only two picks add volume.
        var vectors = FeatureMatrix.FromRows(
        [
            [1f, 0f], [1f, 0f], [1f, 0f], [1f, 0f], [0f, 1f],
        ]);
        double[] relevance = [0.9, 0.8, 0.7, 0.6, 0.1];

        var picked = new GreedyDpp(0.5).Select(relevance, vectors, 4);

        Assert.Equal(4, picked.Length);
        Assert.Equal([0, 4], picked[..2]);
        Assert.Equal([1, 2], picked[2..]);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Asking_for_more_than_available_returns_every_candidate_once(string method)
    {
        var (relevance, vectors, _) = ThreeTopics(new Random(5));

        var picked = Create(method, 0.5).Select(relevance, vectors, 100);

        Assert.Equal(relevance.Length, picked.Length);
        Assert.Equal(relevance.Length, picked.Distinct().Count());
    }

    private static IDiversifier Create(string method, double lambda) =>
        method == "mmr" ? new MaximalMarginalRelevance(lambda) : new GreedyDpp(lambda);

    // Three topics of near-duplicate vectors; topic 0 is the most relevant, topic 2 the least.
    private static (double[] Relevance, FeatureMatrix Vectors, int[] Topic) ThreeTopics(Random random)
    {
        var n = 3 * PerTopic;
        var relevance = new double[n];
        var topic = new int[n];
        var rows = new List<float[]>();
        for (var i = 0; i < n; i++)
        {
            var t = i / PerTopic;
            topic[i] = t;
            relevance[i] = (t == 0 ? 0.9 : t == 1 ? 0.6 : 0.4) + (0.05 * random.NextDouble());
            var v = new float[Dimension];
            v[t] = 1;
            for (var d = 0; d < Dimension; d++)
            {
                v[d] += 0.1f * (float)(random.NextDouble() - 0.5);
            }

            rows.Add(v);
        }

        return (relevance, FeatureMatrix.FromRows(rows), topic);
    }

    private static FeatureMatrix RandomMatrix(Random random, int rows, int columns)
    {
        var m = new FeatureMatrix(rows, columns);
        for (var i = 0; i < m.Values.Length; i++)
        {
            m.Values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return m;
    }

    private static double IntraListSimilarity(FeatureMatrix vectors, int[] picked)
    {
        var sum = 0.0;
        var pairs = 0;
        for (var a = 0; a < picked.Length; a++)
        {
            for (var b = a + 1; b < picked.Length; b++)
            {
                sum += Cosine(vectors.ReadRow(picked[a]), vectors.ReadRow(picked[b]));
                pairs++;
            }
        }

        return sum / pairs;
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    private static double[] MinMax(double[] x)
    {
        var min = x.Min();
        var max = x.Max();
        return x.Select(v => (v - min) / (max - min)).ToArray();
    }

    private static double Determinant(double[][] m)
    {
        var n = m.Length;
        var a = m.Select(r => (double[])r.Clone()).ToArray();
        var det = 1.0;
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++)
            {
                if (Math.Abs(a[r][col]) > Math.Abs(a[pivot][col]))
                {
                    pivot = r;
                }
            }

            if (a[pivot][col] == 0)
            {
                return 0;
            }

            if (pivot != col)
            {
                (a[pivot], a[col]) = (a[col], a[pivot]);
                det = -det;
            }

            det *= a[col][col];
            for (var r = col + 1; r < n; r++)
            {
                var f = a[r][col] / a[col][col];
                for (var c = col; c < n; c++)
                {
                    a[r][c] -= f * a[col][c];
                }
            }
        }

        return det;
    }
}
