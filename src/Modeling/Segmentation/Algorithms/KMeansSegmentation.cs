namespace Cohortly.Modeling.Segmentation.Algorithms;

/// <summary>K-Means (ML.NET, k-means++), best inertia of <paramref name="Restarts"/> fits; every row is clustered.</summary>
public sealed record KMeansSegmentation(int Restarts = 3, int MaxIterations = 100) : ISegmentationAlgorithm
{
    public const string AlgorithmName = "kmeans";

    public string Name => AlgorithmName;

    public bool TakesK => true;

    public ClusterFit Fit(FeatureMatrix scaled, int k, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        var result = KMeansClusterer.Fit(scaled, k, seed, Restarts, MaxIterations);
        return new ClusterFit(result.Centroids, scaled.Rows)
        {
            Parameters = [AlgorithmParameter.Of("k", k), AlgorithmParameter.Of("restarts", Restarts), AlgorithmParameter.Of("maxIterations", MaxIterations)],
        };
    }
}
