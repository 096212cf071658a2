using Cohortly.Modeling.Diversity;

namespace Cohortly.Modeling.Serving;

/// <summary>Diversity: the pool re-ordered by maximal marginal relevance with the cohort's λ (1 = relevance only).</summary>
internal static class DiversifyStage
{
    public static List<ServingCandidate> Diversify(ServingIndex index, List<ServingCandidate> pool, double lambda)
    {
        if (lambda >= 1 || pool.Count <= 2)
        {
            return pool;
        }

        Span<double> relevance = pool.Count <= 256 ? stackalloc double[pool.Count] : new double[pool.Count];
        for (var k = 0; k < relevance.Length; k++)
        {
            relevance[k] = pool[k].Score;
        }

        var order = new MaximalMarginalRelevance(lambda).Select(relevance, (a, b) => Similarity(index, pool[a], pool[b]), pool.Count);
        var result = new List<ServingCandidate>(order.Length);
        foreach (var k in order)
        {
            result.Add(pool[k]);
        }

        return result;
    }

    /// <summary>Factor cosine between known items; sharing the first category otherwise (new items have no factors).</summary>
    internal static double Similarity(ServingIndex index, ServingCandidate a, ServingCandidate b)
    {
        if (a.Item >= 0 && b.Item >= 0)
        {
            return index.Cosine(a.Item, b.Item);
        }

        var ca = a.Item >= 0 ? index.CategoryOf(a.Item) : a.Category;
        var cb = b.Item >= 0 ? index.CategoryOf(b.Item) : b.Category;
        return ca is not null && cb is not null && string.Equals(ca, cb, StringComparison.OrdinalIgnoreCase) ? 1 : 0;
    }
}
