using Cohortly.Modeling.Diversity;
using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class DiversifyStageTests
{
    [Fact]
    public void Relevance_only_or_two_items_keep_the_pool_as_it_is()
    {
        var pool = new List<ServingCandidate> { new(0, "a", 3, 0), new(0, "b", 2, 1), new(1, "c", 1, 2) };

        Assert.Same(pool, DiversifyStage.Diversify(StageWorld.Index, pool, 1));
        var two = pool.Take(2).ToList();
        Assert.Same(two, DiversifyStage.Diversify(StageWorld.Index, two, 0.1));
    }

    [Fact]
    public void A_low_lambda_moves_a_near_duplicate_below_a_different_item()
    {
        var index = StageWorld.Index;
        // The item least similar to item 0 in the factor space.
        var far = 1;
        for (var i = 1; i < index.ItemCount; i++)
        {
            if (index.Cosine(0, i) < index.Cosine(0, far))
            {
                far = i;
            }
        }

        var pool = new List<ServingCandidate> { new(0, "best", 1.0, 0), new(0, "duplicate", 0.99, 1), new(far, "different", 0.5, 2) };

        var relevanceOrder = DiversifyStage.Diversify(index, pool, 0.95);
        var diverse = DiversifyStage.Diversify(index, pool, 0.3);

        Assert.Equal(["best", "duplicate", "different"], relevanceOrder.Select(c => c.Id));
        Assert.Equal(["best", "different", "duplicate"], diverse.Select(c => c.Id));
    }

    [Fact]
    public void Items_without_factors_are_similar_when_they_share_the_first_category()
    {
        var index = StageWorld.Index;
        var category = index.CategoryOf(0)!;
        var known = new ServingCandidate(0, "known", 1, 0);
        var sameCategory = new ServingCandidate(-1, "new-a", 1, 1) { Category = category.ToUpperInvariant() };
        var otherCategory = new ServingCandidate(-1, "new-b", 1, 2) { Category = "no-such-category" };
        var noCategory = new ServingCandidate(-1, "new-c", 1, 3);

        Assert.Equal(1, DiversifyStage.Similarity(index, known, sameCategory));
        Assert.Equal(1, DiversifyStage.Similarity(index, sameCategory, known));
        Assert.Equal(0, DiversifyStage.Similarity(index, known, otherCategory));
        Assert.Equal(0, DiversifyStage.Similarity(index, noCategory, noCategory));
        Assert.Equal(index.Cosine(0, 1), DiversifyStage.Similarity(index, known, new ServingCandidate(1, "x", 1, 4)));
    }

    [Theory]
    [InlineData(1, 0.3)]
    [InlineData(2, 0.7)]
    [InlineData(3, 0.0)]
    public void The_batched_pair_similarities_pick_what_one_call_per_pair_picks(int seed, double lambda)
    {
        var index = StageWorld.Index;
        var random = new Random(seed);
        var categories = new[] { index.CategoryOf(0), index.CategoryOf(1), "no-such-category", null };
        var pool = new List<ServingCandidate>();
        for (var k = 0; k < 31; k++)
        {
            // Mostly known items (some twice), a few new ones with or without a category; coarse scores tie often.
            var item = random.Next(6) == 0 ? -1 : random.Next(index.ItemCount);
            pool.Add(new ServingCandidate(item, $"c{k}", Math.Round(random.NextDouble() * 4) / 4, k) { Category = item < 0 ? categories[random.Next(categories.Length)] : null });
        }

        var n = pool.Count;
        var batched = new double[n * n];
        DiversifyStage.PairSimilarities(index, pool, batched);
        for (var a = 0; a < n; a++)
        {
            for (var b = 0; b < n; b++)
            {
                if (a != b)
                {
                    Assert.Equal(DiversifyStage.Similarity(index, pool[a], pool[b]), batched[(a * n) + b]);
                }
            }
        }

        var relevance = pool.Select(c => c.Score).ToArray();
        var onePerPair = new MaximalMarginalRelevance(lambda).Select(relevance, (a, b) => DiversifyStage.Similarity(index, pool[a], pool[b]), n);

        Assert.Equal(onePerPair.Select(k => pool[k].Id), DiversifyStage.Diversify(index, pool, lambda).Select(c => c.Id));
    }

    [Fact]
    public void Batched_cosines_are_the_single_cosines_bit_for_bit()
    {
        var index = StageWorld.Index;
        Assert.Equal(0, index.Factors % 8); // so the four-wide vector path is the one compared
        var random = new Random(7);
        for (var trial = 0; trial < 20; trial++)
        {
            var a = random.Next(index.ItemCount);
            var others = Enumerable.Range(0, trial).Select(_ => random.Next(index.ItemCount)).ToArray();
            var batched = new float[others.Length];
            var rows = new float[(others.Length + 1) * index.Factors];
            index.GatherUnitRows([.. others, a], rows);

            index.Cosines(rows, others.Length, Enumerable.Range(0, others.Length).ToArray(), batched);

            for (var o = 0; o < others.Length; o++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(index.Cosine(a, others[o])), BitConverter.SingleToInt32Bits(batched[o]));
                Assert.Equal(BitConverter.SingleToInt32Bits(index.Cosine(others[o], a)), BitConverter.SingleToInt32Bits(batched[o]));
            }
        }
    }
}
