using Cohortly.Modeling.Evaluation;

namespace Cohortly.Modeling.Tests.Evaluation;

public sealed class RankingMetricsTests
{
    [Fact]
    public void Metrics_of_a_known_ranking_match_hand_computed_values()
    {
        // Hits at ranks 2 and 4 of 4; three relevant items, one never recommended.
        var m = RankingMetrics.Compute([5, 1, 7, 3], [1, 3, 9], k: 4);

        var dcg = (1 / Math.Log2(3)) + (1 / Math.Log2(5));
        var idcg = 1 + (1 / Math.Log2(3)) + (1 / Math.Log2(4));
        Assert.Equal(dcg / idcg, m.Ndcg, 12);
        Assert.Equal(0.4982, m.Ndcg, 4);
        Assert.Equal(0.5, m.Precision, 12);
        Assert.Equal(2.0 / 3, m.Recall, 12);
        Assert.Equal(0.5, m.Mrr, 12);
        Assert.Equal(1.0, m.Hit);
    }

    [Fact]
    public void Ideal_dcg_is_capped_at_k_hits()
    {
        // 5 relevant, k = 2, both slots hit: a perfect top-2.
        var m = RankingMetrics.Compute([4, 2], [0, 1, 2, 3, 4], k: 2);

        Assert.Equal(1.0, m.Ndcg, 12);
        Assert.Equal(0.4, m.Recall, 12);
        Assert.Equal(1.0, m.Precision, 12);
    }

    [Fact]
    public void Items_beyond_k_do_not_count_and_a_miss_scores_zero()
    {
        var m = RankingMetrics.Compute([8, 9, 1], [1], k: 2);

        Assert.Equal(default, m);
    }

    [Fact]
    public void Short_lists_still_divide_precision_by_k()
    {
        var m = RankingMetrics.Compute([1], [1], k: 10);

        Assert.Equal(0.1, m.Precision, 12);
        Assert.Equal(1.0, m.Ndcg, 12);
    }

    [Fact]
    public void Intra_list_diversity_is_the_mean_pairwise_dissimilarity()
    {
        // Items 0 and 1 identical, everything else unrelated: pairs (0,1)=0, (0,2)=1, (1,2)=1 → 2/3.
        var similarity = new DelegateSimilarity((a, b) => a == b || (a + b == 1) ? 1f : 0f);

        Assert.Equal(2.0 / 3, RankingMetrics.IntraListDiversity([0, 1, 2], similarity), 12);
        Assert.Equal(0.0, RankingMetrics.IntraListDiversity([0], similarity));
    }

    [Fact]
    public void Novelty_is_the_mean_self_information()
    {
        double[] selfInformation = [1, 3, 8];

        Assert.Equal((3 + 1 + 8 + 8) / 4.0, RankingMetrics.Novelty([1, 0, 2, 2], selfInformation), 12);
    }
}
