using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation.Algorithms;
using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation;

/// <summary>How a segmentation is fitted.</summary>
public sealed record SegmentationOptions
{
    /// <summary>
    /// The clustering algorithm (K-Means by default). One that does not take k (<see cref="ISegmentationAlgorithm.TakesK"/>)
    /// ignores <see cref="K"/>, <see cref="MinK"/> and <see cref="MaxK"/>.
    /// </summary>
    public ISegmentationAlgorithm Algorithm { get; init; } = new KMeansSegmentation();

    /// <summary>Number of cohorts; 0 chooses k in [MinK, MaxK] with <see cref="SegmentationBuilder.ChooseK"/>.</summary>
    public int K { get; init; } = 5;

    public int MinK { get; init; } = 2;

    public int MaxK { get; init; } = 10;

    /// <summary>Rows the silhouette is computed on (within the sample: O(s²)), when choosing k and in every version's quality.</summary>
    public int SilhouetteSample { get; init; } = 1000;

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

    /// <summary>The fitted model, how each of its cohorts got its id (kept with a distance, or fresh), and its quality.</summary>
    public static SegmentationFit Fit(FeatureMatrix raw, IReadOnlyList<string> featureNames, SegmentationBasis? basis, long version, SegmentationOptions options, CancellationToken cancellationToken = default)
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
        var algorithm = options.Algorithm;

        // k-means cannot place more centroids than there are distinct rows (ML.NET throws): fewer distinct users
        // than k give as many cohorts as there are distinct users instead of a failed run.
        var distinct = DistinctRows(scaled);
        IReadOnlyList<KScore> scores = [];
        var k = 0;
        if (algorithm.TakesK)
        {
            if (options.K > 0)
            {
                k = Math.Clamp(options.K, 1, distinct);
            }
            else
            {
                var chosen = ChooseK(scaled, options with { MaxK = Math.Min(options.MaxK, distinct) }, cancellationToken);
                k = Math.Min(distinct, chosen.K);
                scores = [.. chosen.Scores.Select(s => new KScore(s.K, s.Silhouette, s.DaviesBouldin))];
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var fit = algorithm.Fit(scaled, k, options.Seed, cancellationToken);
        var centroids = fit.Centroids;
        var noiseShare = fit.NoisePoints is { } noise && fit.FittedRows > 0 ? (double)noise / fit.FittedRows : (double?)null;
        var quality = SegmentationQuality.Measure(scaled, centroids, options.SilhouetteSample, options.Seed, algorithm.Name, noiseShare) with { KScores = scores, Parameters = fit.Parameters };
        var matching = CohortIdentity.Match(basis, scaler, centroids, options.MaxMatchDistance);
        var ids = matching.StableIds;
        var labels = CohortLabeler.LabelAll(featureNames, centroids, ids);
        var model = new SegmentationModel(version, featureNames.ToArray(), scaler, centroids, ids, labels);
        return new SegmentationFit(model, matching, quality);
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
    /// Chooses k by the highest sampled silhouette over [MinK, MaxK] of the options' algorithm (which must take k);
    /// Davies–Bouldin (lower is better) breaks near-ties, within 0.01 silhouette. Each candidate is scored on its
    /// nearest-centroid partition, the one that would be served.
    /// </summary>
    public static (int K, IReadOnlyList<(int K, double Silhouette, double DaviesBouldin)> Scores) ChooseK(FeatureMatrix scaled, SegmentationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Algorithm.TakesK)
        {
            throw new ArgumentException($"{options.Algorithm.Name} does not take a cluster count.", nameof(options));
        }

        var scores = new List<(int K, double Silhouette, double DaviesBouldin)>();
        var maxK = Math.Min(options.MaxK, scaled.Rows - 1);
        var labels = new int[scaled.Rows];
        for (var k = Math.Max(2, options.MinK); k <= maxK; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fit = options.Algorithm.Fit(scaled, k, options.Seed, cancellationToken);
            KMeansClusterer.AssignAll(scaled, fit.Centroids, labels);
            var (silhouette, _) = SegmentationQuality.SampledSilhouette(scaled, labels, options.SilhouetteSample, options.Seed);
            if (silhouette is not { } s)
            {
                continue; // every sampled row in one cohort: no evidence for this k
            }

            scores.Add((k, s, Clustering.ClusterQuality.DaviesBouldin(scaled, labels)));
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

/// <summary>A fitted segmentation: the model, how its cohort ids were kept or issued, and its quality.</summary>
public sealed record SegmentationFit(SegmentationModel Model, ClusterIdMapping Matching, SegmentationQuality Quality);

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
