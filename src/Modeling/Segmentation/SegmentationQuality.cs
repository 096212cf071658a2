using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation;

/// <summary>Silhouette and Davies–Bouldin of one candidate k when k is chosen automatically.</summary>
public sealed record KScore(int K, double Silhouette, double DaviesBouldin);

/// <summary>
/// How good a segmentation version is, measured on the partition that is served (every fitted row to its nearest
/// centroid in standardized units), so the numbers describe what users get, whatever algorithm found the centroids.
/// </summary>
/// <param name="Algorithm">Configuration name of the algorithm (null: not fitted, e.g. a restored version).</param>
/// <param name="Silhouette">Mean silhouette over a seeded sample of at most <paramref name="SilhouetteSample"/> rows, computed within that sample (O(s²)); null with fewer than two non-empty cohorts in it.</param>
/// <param name="SilhouetteSample">Rows the silhouette was computed on.</param>
/// <param name="DaviesBouldin">Davies–Bouldin index over every row (lower is better); null with fewer than two non-empty cohorts.</param>
/// <param name="Inertia">Sum of squared distances of every row to its centroid (standardized units).</param>
/// <param name="ClusterSizes">Rows per cohort, in the version's cohort order.</param>
/// <param name="NoiseShare">DBSCAN: share of the rows it clustered that were noise (served by the nearest cohort); null for other algorithms.</param>
public sealed record SegmentationQuality(
    string? Algorithm,
    double? Silhouette,
    int SilhouetteSample,
    double? DaviesBouldin,
    double Inertia,
    IReadOnlyList<int> ClusterSizes,
    double? NoiseShare)
{
    /// <summary>The candidates scored when k was chosen automatically (empty: k was fixed or not an input).</summary>
    public IReadOnlyList<KScore> KScores { get; init; } = [];

    /// <summary>The parameters the algorithm ran with (<see cref="Algorithms.ClusterFit.Parameters"/>); empty when not fitted.</summary>
    public IReadOnlyList<Algorithms.AlgorithmParameter> Parameters { get; init; } = [];

    /// <summary>Measures the nearest-centroid partition of <paramref name="scaled"/> by <paramref name="centroids"/>.</summary>
    public static SegmentationQuality Measure(FeatureMatrix scaled, IReadOnlyList<float[]> centroids, int silhouetteSample, int seed, string? algorithm, double? noiseShare)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        ArgumentNullException.ThrowIfNull(centroids);
        var labels = new int[scaled.Rows];
        var inertia = scaled.Rows == 0 || centroids.Count == 0 ? 0 : KMeansClusterer.AssignAll(scaled, centroids, labels);
        var sizes = new int[centroids.Count];
        foreach (var l in labels)
        {
            if (centroids.Count > 0)
            {
                sizes[l]++;
            }
        }

        var (silhouette, sampled) = SampledSilhouette(scaled, labels, silhouetteSample, seed);
        var daviesBouldin = NonEmpty(sizes) >= 2 ? ClusterQuality.DaviesBouldin(scaled, labels) : (double?)null;
        return new SegmentationQuality(algorithm, silhouette, sampled, daviesBouldin, inertia, sizes, noiseShare);
    }

    /// <summary>
    /// Silhouette of the rows of a seeded sample, against the other rows of the same sample: O(s²·d) whatever the
    /// number of rows, which keeps a 1M-user run's quality as cheap as a 5,000-user one's.
    /// </summary>
    public static (double? Silhouette, int Rows) SampledSilhouette(FeatureMatrix scaled, ReadOnlySpan<int> labels, int sampleSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleSize);
        var rows = ClusterMath.SampleIndices(scaled.Rows, sampleSize, new Random(seed));
        var sample = ClusterMath.SelectRows(scaled, rows);
        var sampleLabels = new int[rows.Length];
        var max = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            sampleLabels[i] = labels[rows[i]];
            max = Math.Max(max, sampleLabels[i] + 1);
        }

        var sizes = new int[max];
        foreach (var l in sampleLabels)
        {
            sizes[l]++;
        }

        if (NonEmpty(sizes) < 2)
        {
            return (null, rows.Length);
        }

        return (ClusterQuality.Silhouette(sample, sampleLabels, sample.Rows, new Random(seed)), rows.Length);
    }

    private static int NonEmpty(int[] sizes)
    {
        var n = 0;
        foreach (var s in sizes)
        {
            n += s > 0 ? 1 : 0;
        }

        return n;
    }
}

/// <summary>Why a version fell below the floor: the statistic, its value and the bound it crossed.</summary>
public sealed record QualityShortfall(string Statistic, double Value, double Threshold, string Reason);

/// <summary>
/// The lowest quality a fitted version may have and still be published. A version below it is withheld: the previous
/// version keeps serving and an alert says why. Silhouette is judged only when it is defined (two or more cohorts).
/// </summary>
/// <param name="MinSilhouette">Lowest sampled silhouette, in [−1, 1] (−1: never withhold on silhouette).</param>
/// <param name="MaxNoiseShare">Highest DBSCAN noise share, in [0, 1] (1: never withhold on noise).</param>
public sealed record SegmentationQualityFloor(double MinSilhouette, double MaxNoiseShare)
{
    /// <summary>The first bound <paramref name="quality"/> crosses, or null when it may be published.</summary>
    public QualityShortfall? Check(SegmentationQuality quality)
    {
        ArgumentNullException.ThrowIfNull(quality);
        if (quality.NoiseShare is { } noise && noise > MaxNoiseShare)
        {
            return new QualityShortfall(
                "noiseShare",
                noise,
                MaxNoiseShare,
                FormattableString.Invariant($"{noise:P1} of the users {quality.Algorithm} clustered are noise, above the ceiling of {MaxNoiseShare:P1} (Cohortly:Segmentation:MaxNoiseShare)"));
        }

        if (quality.Silhouette is { } silhouette && silhouette < MinSilhouette)
        {
            return new QualityShortfall(
                "silhouette",
                silhouette,
                MinSilhouette,
                FormattableString.Invariant($"sampled silhouette {silhouette:F3} ({quality.Algorithm}, {quality.ClusterSizes.Count} cohorts) is below the floor of {MinSilhouette:F3} (Cohortly:Segmentation:MinSilhouette)"));
        }

        return null;
    }
}
