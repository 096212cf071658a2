namespace Cohortly.Modeling.Statistics;

/// <summary>Outcome of a sample-ratio-mismatch check.</summary>
/// <param name="ChiSquare">Pearson statistic Σ (observed − expected)² / expected.</param>
/// <param name="DegreesOfFreedom">Number of variants − 1.</param>
/// <param name="PValue">Chi-square survival probability of the statistic.</param>
/// <param name="Threshold">p-value below which the allocation is declared broken.</param>
/// <param name="Expected">Expected count per variant under the intended allocation.</param>
public sealed record SampleRatioMismatchResult(
    double ChiSquare,
    int DegreesOfFreedom,
    double PValue,
    double Threshold,
    double[] Expected)
{
    public bool IsMismatch => PValue < Threshold;
}

/// <summary>
/// Sample-ratio-mismatch (SRM) test: does the observed traffic split match the configured allocation?
/// A mismatch means assignment or logging is broken and the experiment's effect estimates are not trustworthy.
/// </summary>
public static class SampleRatioMismatch
{
    /// <summary>The conventional SRM alarm level: strict, because the check runs continuously.</summary>
    public const double DefaultThreshold = 0.001;

    public static SampleRatioMismatchResult Test(
        ReadOnlySpan<long> observed,
        ReadOnlySpan<double> expectedWeights,
        double threshold = DefaultThreshold)
    {
        if (observed.Length < 2)
        {
            throw new ArgumentException("At least two variants are required.", nameof(observed));
        }

        if (expectedWeights.Length != observed.Length)
        {
            throw new ArgumentException($"Expected {observed.Length} weights, got {expectedWeights.Length}.", nameof(expectedWeights));
        }

        var total = 0L;
        var weightSum = 0.0;
        for (var i = 0; i < observed.Length; i++)
        {
            if (observed[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(observed), "Counts must be non-negative.");
            }

            if (!(expectedWeights[i] > 0) || double.IsInfinity(expectedWeights[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(expectedWeights), "Weights must be positive and finite.");
            }

            total += observed[i];
            weightSum += expectedWeights[i];
        }

        var expected = new double[observed.Length];
        var chi = 0.0;
        for (var i = 0; i < observed.Length; i++)
        {
            expected[i] = total * expectedWeights[i] / weightSum;
            if (expected[i] > 0)
            {
                var d = observed[i] - expected[i];
                chi += d * d / expected[i];
            }
        }

        var df = observed.Length - 1;
        var p = total == 0 ? 1 : ChiSquaredDistribution.Sf(chi, df);
        return new SampleRatioMismatchResult(chi, df, p, threshold, expected);
    }
}
