using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Diversity;

/// <summary>
/// Picks k of n candidates trading relevance against redundancy. Implementations take a trade-off
/// λ in [0, 1]: 1 keeps the relevance order, smaller values buy more diversity.
/// </summary>
public interface IDiversifier
{
    /// <summary>
    /// Indices of the chosen candidates, in selection order.
    /// </summary>
    /// <param name="relevance">Relevance score of each candidate.</param>
    /// <param name="itemVectors">One row per candidate (same order); similarity is their cosine.</param>
    /// <param name="k">How many to pick (capped at the number of candidates).</param>
    int[] Select(ReadOnlySpan<double> relevance, FeatureMatrix itemVectors, int k);
}
