using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Algorithms;
using Xunit.Abstractions;

namespace Cohortly.Modeling.Tests.Segmentation;

public sealed class SegmentationAlgorithmTests(ITestOutputHelper output)
{
    private static readonly Lazy<PlantedSegments> World = new(() =>
        PlantedSegments.From(SyntheticWorld.Create(new SyntheticWorldOptions { Users = 1000, Items = 2000 }, seed: 7), new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), days: 60, new Random(11)));

    public static TheoryData<string> Algorithms => ["kmeans", "agglomerative", "dbscan"];

    private static ISegmentationAlgorithm Create(string name) => name switch
    {
        "kmeans" => new KMeansSegmentation(),
        "agglomerative" => new AgglomerativeSegmentation(),
        // DBSCAN has one density for all clusters; the behaviour types spread differently, so its minimum neighbourhood
        // matters (10 splits two types, 20 merges two; docs/benchmarks-modeling.md, Segmentation algorithms).
        _ => new DbscanSegmentation(MinPoints: 15),
    };

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Each_algorithm_recovers_the_planted_behaviour_types(string name)
    {
        var world = World.Value;
        var version = SegmentationVersions.Build(world.Features, ProfileFeatures.Names, basis: null, version: 1, new SegmentationOptions { Algorithm = Create(name), K = 5 }, SegmentationRunKind.SegmentationOnly);
        var served = new int[world.Features.Rows];
        for (var r = 0; r < served.Length; r++)
        {
            served[r] = version.Model.Assign(world.Features.ReadRow(r));
        }

        var ari = ClusterAgreement.AdjustedRandIndex(world.Planted, served);
        var q = version.Quality!;
        output.WriteLine($"{name}: ARI {ari:F3}, {version.Model.CohortIds.Count} cohorts, silhouette {q.Silhouette:F3}, DB {q.DaviesBouldin:F3}, inertia {q.Inertia:F0}, sizes {string.Join('/', q.ClusterSizes)}, noise {q.NoiseShare:P1}");
        Assert.True(ari >= 0.7, $"{name}: ARI {ari:F3}");
    }
}
