using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Segmentation;

/// <summary>How a segmentation is fitted.</summary>
public sealed record SegmentationOptions
{
    /// <summary>Number of cohorts.</summary>
    public int K { get; init; } = 5;

    public int Restarts { get; init; } = 3;

    public int MaxIterations { get; init; } = 100;

    public int Seed { get; init; } = 17;
}

/// <summary>
/// Fits a new segmentation version from raw profile features: standardize, cluster, keep cohort
/// ids stable against the previous version, label.
/// </summary>
public static class SegmentationBuilder
{
    public static SegmentationModel Build(FeatureMatrix raw, IReadOnlyList<string> featureNames, SegmentationModel? previous, long version, SegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(options);
        if (featureNames.Count != raw.Columns)
        {
            throw new ArgumentException($"{featureNames.Count} feature names for {raw.Columns} columns", nameof(featureNames));
        }

        var scaler = FeatureScaler.Fit(raw);
        var scaled = scaler.Transform(raw);
        var k = Math.Clamp(options.K, 1, raw.Rows);
        var clustering = KMeansClusterer.Fit(scaled, k, options.Seed, options.Restarts, options.MaxIterations);
        var ids = CohortIdentity.Match(previous, scaler, clustering.Centroids);
        var labels = CohortLabeler.LabelAll(featureNames, clustering.Centroids, ids);
        return new SegmentationModel(version, featureNames.ToArray(), scaler, clustering.Centroids, ids, labels);
    }
}
