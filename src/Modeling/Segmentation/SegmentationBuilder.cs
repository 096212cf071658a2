using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation;

/// <summary>How a segmentation is fitted.</summary>
public sealed record SegmentationOptions
{
    /// <summary>Number of cohorts; 0 chooses k in [MinK, MaxK] with <see cref="SegmentationBuilder.ChooseK"/>.</summary>
    public int K { get; init; } = 5;

    public int MinK { get; init; } = 2;

    public int MaxK { get; init; } = 10;

    /// <summary>Rows the silhouette is estimated on when choosing k.</summary>
    public int SilhouetteSample { get; init; } = 1000;

    public int Restarts { get; init; } = 3;

    public int MaxIterations { get; init; } = 100;

    public int Seed { get; init; } = 17;

    /// <summary>
    /// How far (Euclidean, in the new version's standardized units) a new centroid may be from the centroid whose
    /// cohort id it inherits. Farther, it gets a fresh id: a cohort that moved this much is not the group the
    /// active model adapted weights for, so its members are served the global weights until the next training.
    /// </summary>
    public double MaxMatchDistance { get; init; } = DefaultMaxMatchDistance;

    /// <summary>Default of <see cref="MaxMatchDistance"/>: 2 standard deviations, see docs/architecture.md (Segmentation).</summary>
    public const double DefaultMaxMatchDistance = 2.0;
}

/// <summary>
/// Fits a new segmentation version from raw profile features: standardize, cluster, keep cohort
/// ids stable against the previous version, label.
/// </summary>
public static class SegmentationBuilder
{
    public static SegmentationModel Build(FeatureMatrix raw, IReadOnlyList<string> featureNames, SegmentationModel? previous, long version, SegmentationOptions options) =>
        Fit(raw, featureNames, previous is null ? null : new SegmentationBasis(previous), version, options).Model;

    /// <summary>The fitted model and how each of its cohorts got its id (kept with a distance, or fresh).</summary>
    public static (SegmentationModel Model, ClusterIdMapping Matching) Fit(FeatureMatrix raw, IReadOnlyList<string> featureNames, SegmentationBasis? basis, long version, SegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(options);
        if (featureNames.Count != raw.Columns)
        {
            throw new ArgumentException($"{featureNames.Count} feature names for {raw.Columns} columns", nameof(featureNames));
        }

        // Rows may come from silos or logs of older versions: a non-finite cell would turn the scaler and every
        // centroid into NaN, so it counts as 0 here.
        raw = FiniteCopy(raw);
        var scaler = FeatureScaler.Fit(raw);
        var scaled = scaler.Transform(raw);

        // k-means cannot place more centroids than there are distinct rows (ML.NET throws): fewer distinct users
        // than k give as many cohorts as there are distinct users instead of a failed run.
        var distinct = DistinctRows(scaled);
        var k = options.K > 0
            ? Math.Clamp(options.K, 1, distinct)
            : Math.Min(distinct, ChooseK(scaled, options with { MaxK = Math.Min(options.MaxK, distinct) }).K);
        var clustering = KMeansClusterer.Fit(scaled, k, options.Seed, options.Restarts, options.MaxIterations);
        var matching = CohortIdentity.Match(basis, scaler, clustering.Centroids, options.MaxMatchDistance);
        var ids = matching.StableIds;
        var labels = CohortLabeler.LabelAll(featureNames, clustering.Centroids, ids);
        return (new SegmentationModel(version, featureNames.ToArray(), scaler, clustering.Centroids, ids, labels), matching);
    }

    /// <summary>How many different rows the matrix holds (at least 1).</summary>
    public static int DistinctRows(FeatureMatrix data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var seen = new HashSet<float[]>(RowComparer.Instance);
        for (var r = 0; r < data.Rows; r++)
        {
            seen.Add(data.ReadRow(r).ToArray());
        }

        return Math.Max(1, seen.Count);
    }

    private static FeatureMatrix FiniteCopy(FeatureMatrix raw)
    {
        var values = raw.Values;
        if (AllFinite(values))
        {
            return raw;
        }

        var copy = (float[])values.Clone();
        for (var i = 0; i < copy.Length; i++)
        {
            if (!float.IsFinite(copy[i]))
            {
                copy[i] = 0;
            }
        }

        return new FeatureMatrix(copy, raw.Rows, raw.Columns);
    }

    private static bool AllFinite(float[] values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Chooses k by the highest sampled silhouette over [MinK, MaxK]; Davies–Bouldin (lower is
    /// better) breaks near-ties, within 0.01 silhouette.
    /// </summary>
    public static (int K, IReadOnlyList<(int K, double Silhouette, double DaviesBouldin)> Scores) ChooseK(FeatureMatrix scaled, SegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        ArgumentNullException.ThrowIfNull(options);
        var scores = new List<(int K, double Silhouette, double DaviesBouldin)>();
        var maxK = Math.Min(options.MaxK, scaled.Rows - 1);
        for (var k = Math.Max(2, options.MinK); k <= maxK; k++)
        {
            var result = KMeansClusterer.Fit(scaled, k, options.Seed, restarts: 1, options.MaxIterations);
            var silhouette = Clustering.ClusterQuality.Silhouette(scaled, result.Assignments, options.SilhouetteSample, new Random(options.Seed));
            var db = Clustering.ClusterQuality.DaviesBouldin(scaled, result.Assignments);
            scores.Add((k, silhouette, db));
        }

        if (scores.Count == 0)
        {
            return (Math.Max(1, Math.Min(options.MinK, scaled.Rows)), scores);
        }

        var best = scores[0];
        foreach (var s in scores)
        {
            var clearlyBetter = s.Silhouette > best.Silhouette + 0.01;
            var tieButTighter = Math.Abs(s.Silhouette - best.Silhouette) <= 0.01 && s.DaviesBouldin < best.DaviesBouldin;
            if (clearlyBetter || tieButTighter)
            {
                best = s;
            }
        }

        return (best.K, scores);
    }
}

/// <summary>Exact element-wise equality of feature rows, as k-means sees duplicates.</summary>
internal sealed class RowComparer : IEqualityComparer<float[]>
{
    public static readonly RowComparer Instance = new();

    public bool Equals(float[]? x, float[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(float[] obj)
    {
        var hash = default(HashCode);
        foreach (var v in obj)
        {
            hash.Add(v);
        }

        return hash.ToHashCode();
    }
}
