using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Algorithms;

namespace Cohortly.Modeling.Tests.Segmentation;

/// <summary>Each algorithm's fit says which parameters it ran with, and the version's quality keeps them.</summary>
public sealed class SegmentationParametersTests
{
    /// <summary>Three tight blobs in 4 standardized dimensions (seeded), 60 rows each.</summary>
    private static FeatureMatrix Blobs()
    {
        var random = new Random(5);
        var rows = new List<float[]>();
        float[][] centres = [[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]];
        foreach (var c in centres)
        {
            for (var i = 0; i < 60; i++)
            {
                rows.Add([.. c.Select(v => v + (float)((random.NextDouble() - 0.5) * 0.4))]);
            }
        }

        return FeatureMatrix.FromRows(rows);
    }

    private static Dictionary<string, string> Of(ClusterFit fit) => fit.Parameters.ToDictionary(p => p.Name, p => p.Value);

    [Fact]
    public void KMeans_records_k_restarts_and_iterations()
    {
        var p = Of(new KMeansSegmentation(Restarts: 2, MaxIterations: 50).Fit(Blobs(), 3, seed: 1, CancellationToken.None));
        Assert.Equal(new Dictionary<string, string> { ["k"] = "3", ["restarts"] = "2", ["maxIterations"] = "50" }, p);
    }

    [Fact]
    public void Agglomerative_records_k_its_linkage_and_the_rows_it_clustered()
    {
        var p = Of(new AgglomerativeSegmentation(MaxSampleSize: 100).Fit(Blobs(), 3, seed: 1, CancellationToken.None));
        Assert.Equal("3", p["k"]);
        Assert.Equal("average, cosine distance", p["linkage"]);
        Assert.Equal("100", p["sampledRows"]);
    }

    [Fact]
    public void Dbscan_records_the_radius_it_chose_when_left_to_the_knee_and_the_configured_one_otherwise()
    {
        var data = Blobs();
        var auto = Of(new DbscanSegmentation(MinPoints: 5).Fit(data, 0, seed: 3, CancellationToken.None));
        Assert.Equal("k-distance knee", auto["epsilonFrom"]);
        var chosen = double.Parse(auto["epsilon"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(chosen > 0, auto["epsilon"]);
        Assert.Equal("5", auto["minPoints"]);
        Assert.Equal("180", auto["sampledRows"]);

        var configured = Of(new DbscanSegmentation(Epsilon: 0.75, MinPoints: 5).Fit(data, 0, seed: 3, CancellationToken.None));
        Assert.Equal("configured", configured["epsilonFrom"]);
        Assert.Equal("0.75", configured["epsilon"]);
    }

    [Fact]
    public void A_built_version_keeps_the_parameters_its_fit_ran_with()
    {
        var data = Blobs();
        string[] names = ["a", "b", "c", "d"];
        var built = SegmentationVersions.Build(data, names, basis: null, version: 1, new SegmentationOptions { Algorithm = new KMeansSegmentation(), K = 3 }, SegmentationRunKind.SegmentationOnly);
        Assert.Equal(["k", "restarts", "maxIterations"], built.Quality!.Parameters.Select(p => p.Name));
        Assert.Equal("3", built.Quality.Parameters[0].Value);
    }
}
