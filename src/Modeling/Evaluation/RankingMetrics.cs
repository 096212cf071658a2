namespace Cohortly.Modeling.Evaluation;

/// <summary>One user's accuracy at k (binary relevance), as RecBole defines them.</summary>
public readonly record struct UserAccuracy(double Precision, double Recall, double Ndcg, double Mrr, double Hit);

/// <summary>
/// Per-user ranking metrics with binary relevance: precision = hits/k, recall = hits/|relevant|,
/// NDCG = DCG/IDCG with gain 1/log2(rank+1) and IDCG over min(|relevant|, k) hits, MRR = 1/rank of the first hit
/// (0 when none in the top k), hit = 1 when any relevant item is in the top k.
/// </summary>
public static class RankingMetrics
{
    private static readonly double[] Discounts = BuildDiscounts(1024);

    /// <param name="ranked">Recommended items, best first; only the first <paramref name="k"/> count.</param>
    /// <param name="relevantSorted">The user's relevant items in ascending order.</param>
    public static UserAccuracy Compute(ReadOnlySpan<int> ranked, ReadOnlySpan<int> relevantSorted, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (relevantSorted.IsEmpty)
        {
            return default;
        }

        var n = Math.Min(k, ranked.Length);
        var hits = 0;
        var dcg = 0.0;
        var firstHit = -1;
        for (var pos = 0; pos < n; pos++)
        {
            if (relevantSorted.BinarySearch(ranked[pos]) >= 0)
            {
                hits++;
                dcg += Discount(pos);
                if (firstHit < 0)
                {
                    firstHit = pos;
                }
            }
        }

        var idcg = 0.0;
        var ideal = Math.Min(relevantSorted.Length, k);
        for (var pos = 0; pos < ideal; pos++)
        {
            idcg += Discount(pos);
        }

        return new UserAccuracy(
            Precision: (double)hits / k,
            Recall: (double)hits / relevantSorted.Length,
            Ndcg: dcg / idcg,
            Mrr: firstHit < 0 ? 0 : 1.0 / (firstHit + 1),
            Hit: hits > 0 ? 1 : 0);
    }

    /// <summary>1 / log2(position + 2) for a 0-based position.</summary>
    public static double Discount(int position)
        => position < Discounts.Length ? Discounts[position] : 1.0 / Math.Log2(position + 2);

    /// <summary>Mean pairwise dissimilarity (1 − similarity) of a list; 0 for fewer than two items.</summary>
    public static double IntraListDiversity(ReadOnlySpan<int> items, IItemSimilarity similarity)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        if (items.Length < 2)
        {
            return 0;
        }

        var sum = 0.0;
        var pairs = 0;
        for (var a = 0; a < items.Length; a++)
        {
            for (var b = a + 1; b < items.Length; b++)
            {
                sum += 1.0 - similarity.Similarity(items[a], items[b]);
                pairs++;
            }
        }

        return sum / pairs;
    }

    /// <summary>Mean self-information −log2(p) of the items, p = share of training users who interacted with each.</summary>
    public static double Novelty(ReadOnlySpan<int> items, ReadOnlySpan<double> selfInformation)
    {
        if (items.IsEmpty)
        {
            return 0;
        }

        var sum = 0.0;
        foreach (var i in items)
        {
            sum += selfInformation[i];
        }

        return sum / items.Length;
    }

    private static double[] BuildDiscounts(int n)
    {
        var d = new double[n];
        for (var i = 0; i < n; i++)
        {
            d[i] = 1.0 / Math.Log2(i + 2);
        }

        return d;
    }
}
