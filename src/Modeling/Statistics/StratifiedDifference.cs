namespace Cohortly.Modeling.Statistics;

/// <summary>One stratum's contribution to a pooled effect.</summary>
/// <param name="BaselineMean">Baseline arm's rate or mean in the stratum.</param>
/// <param name="Difference">Treatment − baseline in the stratum.</param>
/// <param name="Variance">Variance of that difference.</param>
/// <param name="Weight">Fixed weight; Mantel–Haenszel uses n_A n_B / (n_A + n_B).</param>
public readonly record struct StratumEstimate(double BaselineMean, double Difference, double Variance, double Weight);

/// <summary>The pooled effect: weighted difference, its variance and the weighted baseline mean.</summary>
public readonly record struct PooledEstimate(double BaselineMean, double Difference, double Variance, double TotalWeight);

/// <summary>
/// Stratified pooling of per-stratum differences (Mantel–Haenszel style weights, with the variance Σw²V/(Σw)²).
/// A naive sum of counts across strata compares arms with different cohort mixes whenever the split differs by
/// cohort (bandits, cohort-specific rollouts, users migrating between cohorts): the cohorts' different base rates
/// then leak into the "lift" (Simpson's paradox). Comparing within each stratum first cannot mix them.
/// </summary>
public static class StratifiedDifference
{
    /// <summary>Mantel–Haenszel weight for a stratum with arm sizes n_A and n_B (0 when either is empty).</summary>
    public static double MantelHaenszelWeight(double sizeA, double sizeB) =>
        sizeA > 0 && sizeB > 0 ? sizeA * sizeB / (sizeA + sizeB) : 0;

    public static PooledEstimate Combine(ReadOnlySpan<StratumEstimate> strata)
    {
        var w = 0.0;
        var d = 0.0;
        var baseline = 0.0;
        var v = 0.0;
        foreach (var s in strata)
        {
            if (!(s.Weight >= 0) || double.IsInfinity(s.Weight))
            {
                throw new ArgumentOutOfRangeException(nameof(strata), s.Weight, "Stratum weights must be non-negative and finite.");
            }

            if (s.Weight == 0)
            {
                continue;
            }

            w += s.Weight;
            d += s.Weight * s.Difference;
            baseline += s.Weight * s.BaselineMean;
            v += s.Weight * s.Weight * Math.Max(0, s.Variance);
        }

        return w > 0 ? new PooledEstimate(baseline / w, d / w, v / (w * w), w) : default;
    }
}
