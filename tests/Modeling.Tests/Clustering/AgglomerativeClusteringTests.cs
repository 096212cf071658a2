using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Tests.Clustering;

public sealed class AgglomerativeClusteringTests
{
    [Fact]
    public void Recovers_planted_blobs_exactly()
    {
        var (data, truth) = Blobs.Make(new Random(1), k: 4, perCluster: 100);

        var result = new AgglomerativeClustering(new AgglomerativeOptions(ClusterCount: 4)).Fit(data, new Random(0));

        Assert.Equal(4, result.ClusterCount);
        Assert.True(Blobs.SamePartition(truth, result.Labels));
        Assert.Equal([100, 100, 100, 100], result.Sizes);
        Assert.Equal(data.Rows - 1, result.Merges.Length);
    }

    [Fact]
    public void Sampled_fit_assigns_the_rest_by_nearest_centroid()
    {
        var (data, truth) = Blobs.Make(new Random(2), k: 5, perCluster: 600);
        var clustering = new AgglomerativeClustering(new AgglomerativeOptions(ClusterCount: 5, MaxSampleSize: 400));

        var result = clustering.Fit(data, new Random(7));
        var again = clustering.Fit(data, new Random(7));

        Assert.Equal(400, result.SampleRows.Length);
        Assert.Equal(5, result.ClusterCount);
        Assert.True(Blobs.SamePartition(truth, result.Labels));
        Assert.Equal(result.Labels, again.Labels);
        Assert.Equal(result.SampleRows, again.SampleRows);
    }

    [Fact]
    public void Distance_threshold_alone_finds_the_number_of_blobs()
    {
        var (data, truth) = Blobs.Make(new Random(3), k: 3, perCluster: 80);

        // Within a blob cosine distances are a few hundredths; between blobs about 1.
        var result = new AgglomerativeClustering(new AgglomerativeOptions(DistanceThreshold: 0.5)).Fit(data, new Random(0));

        Assert.Equal(3, result.ClusterCount);
        Assert.True(Blobs.SamePartition(truth, result.Labels));
    }

    [Fact]
    public void Dendrogram_heights_match_naive_average_linkage()
    {
        var random = new Random(4);
        const int n = 14;
        var data = new FeatureMatrix(n, 3);
        for (var i = 0; i < data.Values.Length; i++)
        {
            data.Values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var merges = AgglomerativeClustering.BuildDendrogram(data);

        var expected = NaiveAverageLinkageHeights(data);
        Assert.Equal(expected.Length, merges.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], merges[i].Height, 1e-5);
        }
    }

    // Textbook O(n³): repeatedly merge the pair of clusters with the smallest mean pairwise distance.
    private static double[] NaiveAverageLinkageHeights(FeatureMatrix data)
    {
        var clusters = Enumerable.Range(0, data.Rows).Select(i => new List<int> { i }).ToList();
        var heights = new List<double>();
        while (clusters.Count > 1)
        {
            var (bi, bj, best) = (0, 1, double.PositiveInfinity);
            for (var i = 0; i < clusters.Count; i++)
            {
                for (var j = i + 1; j < clusters.Count; j++)
                {
                    var mean = clusters[i].SelectMany(a => clusters[j].Select(b => CosineDistance(data.ReadRow(a).ToArray(), data.ReadRow(b).ToArray()))).Average();
                    if (mean < best)
                    {
                        (bi, bj, best) = (i, j, mean);
                    }
                }
            }

            heights.Add(best);
            clusters[bi].AddRange(clusters[bj]);
            clusters.RemoveAt(bj);
        }

        return heights.ToArray();
    }

    private static double CosineDistance(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return 1 - (dot / Math.Sqrt(na * nb));
    }
}
