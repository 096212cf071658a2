namespace Cohortly.Modeling.Drift;

/// <summary>A PSI computation with its per-bin detail, so a dashboard can show where the shift is.</summary>
/// <param name="Index">Σ (current − reference) · ln(current / reference) over the smoothed proportions.</param>
/// <param name="Edges">Bin edges (empty when the caller supplied counts directly).</param>
/// <param name="ReferenceProportions">Smoothed reference share per bin.</param>
/// <param name="CurrentProportions">Smoothed current share per bin.</param>
/// <param name="Contributions">Each bin's term of the sum (all non-negative).</param>
public sealed record PopulationStabilityResult(
    double Index,
    double[] Edges,
    double[] ReferenceProportions,
    double[] CurrentProportions,
    double[] Contributions)
{
    /// <summary>Conventional reading: below 0.1 stable, 0.1–0.25 moderate shift, above 0.25 major shift.</summary>
    public PopulationShift Shift => Index < 0.1 ? PopulationShift.Stable : Index < 0.25 ? PopulationShift.Moderate : PopulationShift.Major;
}

public enum PopulationShift
{
    Stable = 0,
    Moderate = 1,
    Major = 2,
}

/// <summary>Population stability index between a reference and a current distribution.</summary>
public static class PopulationStability
{
    /// <summary>Added to every bin's share before renormalizing, so empty bins don't make the log infinite.</summary>
    public const double DefaultEpsilon = 1e-4;

    /// <summary>PSI over pre-binned counts (or proportions) of equal length.</summary>
    public static PopulationStabilityResult FromCounts(
        ReadOnlySpan<double> referenceCounts,
        ReadOnlySpan<double> currentCounts,
        double epsilon = DefaultEpsilon) =>
        Compute(referenceCounts, currentCounts, epsilon, []);

    /// <summary>
    /// Bins both samples on the reference's quantiles (<paramref name="bins"/> nominal bins, fewer
    /// when the reference has ties) and computes the PSI.
    /// </summary>
    public static PopulationStabilityResult Compare(
        ReadOnlySpan<double> reference,
        ReadOnlySpan<double> current,
        int bins = 10,
        double epsilon = DefaultEpsilon)
    {
        if (current.IsEmpty)
        {
            throw new ArgumentException("The current sample is empty.", nameof(current));
        }

        var edges = QuantileBinning.Edges(reference, bins);
        var referenceCounts = QuantileBinning.Histogram(reference, edges);
        var currentCounts = QuantileBinning.Histogram(current, edges);
        return Compute(referenceCounts, currentCounts, epsilon, edges);
    }

    private static PopulationStabilityResult Compute(
        ReadOnlySpan<double> reference,
        ReadOnlySpan<double> current,
        double epsilon,
        double[] edges)
    {
        if (reference.Length != current.Length || reference.IsEmpty)
        {
            throw new ArgumentException("Reference and current need the same, non-zero number of bins.");
        }

        if (!(epsilon > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive.");
        }

        var expected = Smooth(reference, epsilon);
        var actual = Smooth(current, epsilon);
        var contributions = new double[expected.Length];
        var psi = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            contributions[i] = (actual[i] - expected[i]) * Math.Log(actual[i] / expected[i]);
            psi += contributions[i];
        }

        return new PopulationStabilityResult(psi, edges, expected, actual, contributions);
    }

    private static double[] Smooth(ReadOnlySpan<double> counts, double epsilon)
    {
        var total = 0.0;
        foreach (var c in counts)
        {
            if (!(c >= 0) || double.IsInfinity(c))
            {
                throw new ArgumentException("Counts must be finite and non-negative.", nameof(counts));
            }

            total += c;
        }

        if (total <= 0)
        {
            throw new ArgumentException("A distribution with no mass cannot be compared.", nameof(counts));
        }

        var shares = new double[counts.Length];
        var norm = 1 + (epsilon * counts.Length);
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] = ((counts[i] / total) + epsilon) / norm;
        }

        return shares;
    }
}
