using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Algorithms;

namespace Cohortly.Modeling.Tests.Segmentation;

public sealed class SegmentationQualityTests
{
    private static readonly string[] Names = ["x", "y", "z"];

    private static List<float[]> Blobs(int perBlob, float[][] centres, double spread, int seed)
    {
        var rng = new Random(seed);
        var rows = new List<float[]>();
        foreach (var c in centres)
        {
            for (var i = 0; i < perBlob; i++)
            {
                rows.Add([.. c.Select(x => x + (float)((rng.NextDouble() - 0.5) * spread))]);
            }
        }

        return rows;
    }

    private static readonly float[][] FourCentres = [[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]];

    private static SegmentationVersion Build(List<float[]> rows, SegmentationOptions options) =>
        SegmentationVersions.Build(FeatureMatrix.FromRows(rows), Names, basis: null, version: 1, options, SegmentationRunKind.SegmentationOnly);

    [Fact]
    public void Every_fitted_version_records_silhouette_davies_bouldin_inertia_and_sizes_of_the_served_partition()
    {
        var separated = Build(Blobs(60, FourCentres, 1.0, 1), new SegmentationOptions { K = 4 }).Quality!;
        var blurred = Build(Blobs(60, FourCentres, 14.0, 1), new SegmentationOptions { K = 4 }).Quality!;

        Assert.Equal("kmeans", separated.Algorithm);
        Assert.Equal([60, 60, 60, 60], separated.ClusterSizes.Order());
        Assert.InRange(separated.Silhouette!.Value, 0.8, 1.0);
        Assert.Equal(240, separated.SilhouetteSample);
        Assert.InRange(separated.DaviesBouldin!.Value, 0, 0.3);
        Assert.True(separated.Inertia > 0);
        Assert.Null(separated.NoiseShare);
        Assert.Empty(separated.KScores);
        // Overlapping blobs measure worse on every index.
        Assert.True(blurred.Silhouette < separated.Silhouette - 0.3, $"{blurred.Silhouette} vs {separated.Silhouette}");
        Assert.True(blurred.DaviesBouldin > separated.DaviesBouldin);
        Assert.True(blurred.Inertia > separated.Inertia);
    }

    [Fact]
    public void The_silhouette_is_computed_on_a_bounded_sample()
    {
        var quality = Build(Blobs(500, FourCentres, 1.0, 2), new SegmentationOptions { K = 4, SilhouetteSample = 300 }).Quality!;

        Assert.Equal(300, quality.SilhouetteSample);
        Assert.Equal(2000, quality.ClusterSizes.Sum());
        Assert.InRange(quality.Silhouette!.Value, 0.8, 1.0);
    }

    [Theory]
    [InlineData("kmeans")]
    [InlineData("agglomerative")]
    public void An_algorithm_that_takes_k_chooses_it_by_silhouette_and_records_the_candidates(string name)
    {
        ISegmentationAlgorithm algorithm = name == "kmeans" ? new KMeansSegmentation() : new AgglomerativeSegmentation();
        var version = Build(Blobs(80, FourCentres, 1.0, 4), new SegmentationOptions { Algorithm = algorithm, K = 0, MinK = 2, MaxK = 7 });

        Assert.Equal(4, version.Model.CohortIds.Count);
        Assert.Equal([2, 3, 4, 5, 6, 7], version.Quality!.KScores.Select(s => s.K));
        Assert.Equal(version.Quality.KScores.Max(s => s.Silhouette), version.Quality.KScores.Single(s => s.K == 4).Silhouette);
    }

    [Fact]
    public void Dbscan_finds_the_cluster_count_itself_and_serves_its_noise_by_the_nearest_cohort()
    {
        var rows = Blobs(60, FourCentres, 1.0, 5);
        // Beyond epsilon of every blob (about one standardized unit from the nearest), nearest to the blob at (6, 0, 0).
        float[] outlier = [9, 0, 0];
        rows.Add(outlier);
        var version = Build(rows, new SegmentationOptions { Algorithm = new DbscanSegmentation(Epsilon: 0.8, MinPoints: 5), K = 2 });

        // K is not read: the four dense regions are the four cohorts.
        Assert.Equal(4, version.Model.CohortIds.Count);
        var quality = version.Quality!;
        Assert.Equal("dbscan", quality.Algorithm);
        Assert.Equal(1.0 / rows.Count, quality.NoiseShare!.Value, 1e-9);
        Assert.Equal([60, 60, 60, 61], quality.ClusterSizes.Order());
        // The outlier is served, by the cohort of the blob it is nearest to.
        Assert.Equal(version.Model.Assign([6, 0, 0]), version.Model.Assign(outlier));
    }

    [Fact]
    public void Dbscan_without_a_dense_region_gives_one_cohort_of_noise_that_the_floor_withholds()
    {
        var rng = new Random(6);
        var rows = Enumerable.Range(0, 50).Select(_ => new[] { (float)rng.NextDouble() * 100, (float)rng.NextDouble() * 100, (float)rng.NextDouble() * 100 }).ToList();
        var quality = Build(rows, new SegmentationOptions { Algorithm = new DbscanSegmentation(Epsilon: 0.01, MinPoints: 5) }).Quality!;

        Assert.Single(quality.ClusterSizes);
        Assert.Equal(1.0, quality.NoiseShare);
        Assert.Null(quality.Silhouette);
        var shortfall = new SegmentationQualityFloor(MinSilhouette: 0, MaxNoiseShare: 0.5).Check(quality);
        Assert.Equal("noiseShare", shortfall?.Statistic);
        Assert.Contains("Cohortly:Segmentation:MaxNoiseShare", shortfall!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_floor_withholds_below_its_silhouette_and_lets_the_rest_through()
    {
        var quality = Build(Blobs(60, FourCentres, 1.0, 1), new SegmentationOptions { K = 4 }).Quality!;
        var silhouette = quality.Silhouette!.Value;

        Assert.Null(new SegmentationQualityFloor(silhouette - 0.01, 0.5).Check(quality));
        var shortfall = new SegmentationQualityFloor(silhouette + 0.01, 0.5).Check(quality);
        Assert.Equal("silhouette", shortfall?.Statistic);
        Assert.Equal(silhouette, shortfall!.Value);
        Assert.Equal(silhouette + 0.01, shortfall.Threshold);
        // Undefined silhouette (one cohort) is not judged.
        Assert.Null(new SegmentationQualityFloor(0.99, 0.5).Check(quality with { Silhouette = null }));
    }

    [Fact]
    public void A_restored_version_is_measured_on_the_sample_it_is_counted_on()
    {
        var trained = SegmentationBuilder.Build(FeatureMatrix.FromRows(Blobs(40, FourCentres, 1.0, 7)), Names, previous: null, version: 1, new SegmentationOptions { K = 4 });
        var restored = SegmentationVersions.Restore(trained, trained, nextCohortId: 5, version: 2, modelVersion: 1, FeatureMatrix.FromRows(Blobs(10, FourCentres, 1.0, 8)));
        var empty = SegmentationVersions.Restore(trained, trained, nextCohortId: 5, version: 3, modelVersion: 1, new FeatureMatrix(0, 3));

        Assert.Null(restored.Quality!.Algorithm);
        Assert.Equal(40, restored.Quality.ClusterSizes.Sum());
        Assert.InRange(restored.Quality.Silhouette!.Value, 0.8, 1.0);
        Assert.Null(empty.Quality);
    }
}
