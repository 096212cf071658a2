namespace Cohortly.Contracts;

/// <summary>
/// Wire form of a segmentation version's quality (<see cref="Modeling.Segmentation.SegmentationQuality"/>), measured on
/// the served nearest-centroid partition of the users the version was built on. Versions stored before quality was
/// recorded have none (<see cref="SegmentationVersionInfo.Quality"/> is null).
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.SegmentationQualityInfo")]
public sealed record SegmentationQualityInfo
{
    /// <summary>"kmeans", "agglomerative" or "dbscan"; null for a restored version (nothing was fitted).</summary>
    [Id(0)] public string? Algorithm { get; init; }

    [Id(1)] public double? Silhouette { get; init; }

    [Id(2)] public int SilhouetteSample { get; init; }

    [Id(3)] public double? DaviesBouldin { get; init; }

    [Id(4)] public double Inertia { get; init; }

    /// <summary>Users per cohort, in the version's cohort order.</summary>
    [Id(5)] public IReadOnlyList<int> ClusterSizes { get; init; } = [];

    /// <summary>DBSCAN: share of the clustered users that were noise (served by the nearest cohort); null otherwise.</summary>
    [Id(6)] public double? NoiseShare { get; init; }

    /// <summary>The candidates scored when k was chosen automatically.</summary>
    [Id(7)] public IReadOnlyList<KScoreInfo> KScores { get; init; } = [];

    /// <summary>The parameters the algorithm ran with, in its own order (empty for a restored version or one stored before they were recorded).</summary>
    [Id(8)] public IReadOnlyList<AlgorithmParameterInfo> Parameters { get; init; } = [];

    public static SegmentationQualityInfo? From(Modeling.Segmentation.SegmentationQuality? quality)
    {
        if (quality is null)
        {
            return null;
        }

        var scores = new KScoreInfo[quality.KScores.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            var s = quality.KScores[i];
            scores[i] = new KScoreInfo(s.K, s.Silhouette, s.DaviesBouldin);
        }

        var parameters = new AlgorithmParameterInfo[quality.Parameters.Count];
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = new AlgorithmParameterInfo(quality.Parameters[i].Name, quality.Parameters[i].Value);
        }

        return new SegmentationQualityInfo
        {
            Algorithm = quality.Algorithm,
            Silhouette = quality.Silhouette,
            SilhouetteSample = quality.SilhouetteSample,
            DaviesBouldin = quality.DaviesBouldin,
            Inertia = quality.Inertia,
            ClusterSizes = quality.ClusterSizes,
            NoiseShare = quality.NoiseShare,
            KScores = scores,
            Parameters = parameters,
        };
    }
}

[GenerateSerializer, Immutable, Alias("cohortly.AlgorithmParameterInfo")]
public sealed record AlgorithmParameterInfo([property: Id(0)] string Name, [property: Id(1)] string Value);

[GenerateSerializer, Immutable, Alias("cohortly.KScoreInfo")]
public sealed record KScoreInfo([property: Id(0)] int K, [property: Id(1)] double Silhouette, [property: Id(2)] double DaviesBouldin);

/// <summary>
/// A fitted segmentation version fell below the quality floor (<c>Cohortly:Segmentation:MinSilhouette</c>,
/// <c>MaxNoiseShare</c>) and was not published: the previous version keeps serving, and an alert says why.
/// </summary>
[GenerateSerializer, Alias("cohortly.SegmentationWithheldException")]
public sealed class SegmentationWithheldException : Exception
{
    public SegmentationWithheldException()
    {
    }

    public SegmentationWithheldException(string message)
        : base(message)
    {
    }

    public SegmentationWithheldException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The statistic that crossed its bound ("silhouette" or "noiseShare").</summary>
    [Id(0)] public string? Statistic { get; init; }

    [Id(1)] public double Value { get; init; }

    [Id(2)] public double Threshold { get; init; }
}
