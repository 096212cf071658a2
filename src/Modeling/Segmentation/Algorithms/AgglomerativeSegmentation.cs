using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation.Algorithms;

/// <summary>
/// Average-linkage agglomerative clustering with cosine distance (<see cref="AgglomerativeClustering"/>) on a seeded
/// sample of at most <paramref name="MaxSampleSize"/> rows, cut at k clusters. The dendrogram costs O(s²) time and
/// memory in the sample size s, so it never sees more than the sample; every other row (and every live user) is
/// served by the nearest of the sample clusters' centroids.
/// </summary>
public sealed record AgglomerativeSegmentation(int MaxSampleSize = 3000) : ISegmentationAlgorithm
{
    public const string AlgorithmName = "agglomerative";

    public string Name => AlgorithmName;

    public bool TakesK => true;

    public ClusterFit Fit(FeatureMatrix scaled, int k, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        var random = new Random(seed);
        var rows = ClusterMath.SampleIndices(scaled.Rows, MaxSampleSize, random);
        var sample = ClusterMath.SelectRows(scaled, rows);
        cancellationToken.ThrowIfCancellationRequested();
        var result = new AgglomerativeClustering(new AgglomerativeOptions(ClusterCount: k, MaxSampleSize: Math.Max(2, MaxSampleSize))).Fit(sample, random);
        var centroids = new float[result.ClusterCount][];
        for (var c = 0; c < centroids.Length; c++)
        {
            centroids[c] = result.Centroids.ReadRow(c).ToArray();
        }

        return new ClusterFit(centroids, sample.Rows)
        {
            Parameters = [AlgorithmParameter.Of("k", k), new AlgorithmParameter("linkage", "average, cosine distance"), AlgorithmParameter.Of("sampledRows", sample.Rows)],
        };
    }
}
