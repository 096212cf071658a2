using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Drift;

/// <summary>
/// One feature's distribution in the population a segmentation version was fitted on: the cut points at that
/// population's quantiles (<see cref="QuantileBinning"/>) and how many of its users fell in each bin. Raw feature
/// units: standardizing is monotone per feature, so quantile bins and the PSI are the same on raw or standardized values.
/// </summary>
public sealed record FeatureBins(string Name, double[] Edges, double[] Counts);

/// <summary>The PSI of one feature between the reference population and a live sample.</summary>
public sealed record FeaturePsi(string Name, double Index, int Bins);

/// <summary>Reference histograms of every feature, and their PSI against a live sample.</summary>
public static class FeatureReference
{
    /// <summary>Nominal bins per feature (fewer where ties collapse quantiles). Ten is the usual PSI binning.</summary>
    public const int DefaultBins = 10;

    /// <summary>Bins every column of <paramref name="raw"/> at its own quantiles; empty when there are no rows.</summary>
    public static IReadOnlyList<FeatureBins> From(FeatureMatrix raw, IReadOnlyList<string> featureNames, int bins = DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(featureNames);
        if (raw.Rows == 0 || raw.Columns != featureNames.Count)
        {
            return [];
        }

        var result = new FeatureBins[raw.Columns];
        var column = new double[raw.Rows];
        for (var f = 0; f < raw.Columns; f++)
        {
            for (var r = 0; r < raw.Rows; r++)
            {
                var v = raw.Values[(r * raw.Columns) + f];
                column[r] = float.IsFinite(v) ? v : 0;
            }

            var edges = QuantileBinning.Edges(column, bins);
            result[f] = new FeatureBins(featureNames[f], edges, QuantileBinning.Histogram(column, edges));
        }

        return result;
    }

    /// <summary>
    /// The PSI of each referenced feature between the reference and <paramref name="live"/> (rows of raw features in the
    /// same order as the reference), binned on the reference's edges. Empty when either side is empty or the widths differ.
    /// </summary>
    public static IReadOnlyList<FeaturePsi> Compare(IReadOnlyList<FeatureBins> reference, IReadOnlyList<float[]> live)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(live);
        if (reference.Count == 0 || live.Count == 0)
        {
            return [];
        }

        foreach (var row in live)
        {
            if (row.Length != reference.Count)
            {
                return [];
            }
        }

        var result = new FeaturePsi[reference.Count];
        for (var f = 0; f < reference.Count; f++)
        {
            var bins = reference[f];
            var counts = new double[bins.Edges.Length + 1];
            foreach (var row in live)
            {
                var v = row[f];
                counts[QuantileBinning.Bin(bins.Edges, float.IsFinite(v) ? v : 0)]++;
            }

            result[f] = new FeaturePsi(bins.Name, PopulationStability.FromCounts(bins.Counts, counts).Index, counts.Length);
        }

        return result;
    }
}

/// <summary>How the live sample spreads over a segmentation version's cohorts, against the version's own shares.</summary>
public static class CohortShares
{
    /// <summary>Live users per cohort (same order as <paramref name="model"/>'s cohort ids), by nearest centroid.</summary>
    public static double[] Count(SegmentationModel model, IReadOnlyList<float[]> live)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(live);
        var counts = new double[model.CohortIds.Count];
        foreach (var row in live)
        {
            if (row.Length == model.Dimensions)
            {
                counts[model.NearestIndex(row, out _)]++;
            }
        }

        return counts;
    }

    /// <summary>
    /// The PSI over cohorts between the version's sampled shares (<paramref name="referenceCounts"/>) and the live
    /// sample's; null when either side is empty or they do not describe the same cohorts.
    /// </summary>
    public static PopulationStabilityResult? Compare(IReadOnlyList<int> referenceCounts, SegmentationModel model, IReadOnlyList<float[]> live)
    {
        ArgumentNullException.ThrowIfNull(referenceCounts);
        if (referenceCounts.Count != model.CohortIds.Count || referenceCounts.Count < 2)
        {
            return null;
        }

        var reference = new double[referenceCounts.Count];
        var total = 0.0;
        for (var i = 0; i < reference.Length; i++)
        {
            reference[i] = referenceCounts[i];
            total += reference[i];
        }

        var current = Count(model, live);
        var liveTotal = 0.0;
        foreach (var c in current)
        {
            liveTotal += c;
        }

        return total <= 0 || liveTotal <= 0 ? null : PopulationStability.FromCounts(reference, current);
    }
}
