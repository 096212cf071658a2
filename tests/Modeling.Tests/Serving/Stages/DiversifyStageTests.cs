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
}
