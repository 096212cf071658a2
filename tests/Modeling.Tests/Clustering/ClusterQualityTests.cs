using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Tests.Clustering;

public sealed class ClusterQualityTests
{
    private static readonly FeatureMatrix Line = FeatureMatrix.FromRows([[0f], [1f], [10f], [11f]]);

    [Fact]
    public void Silhouette_matches_hand_computation()
    {
        // Points 0 and 11: a = 1, b = 10.5; points 1 and 10: a = 1, b = 9.5.
        var expected = ((9.5 / 10.5) + (8.5 / 9.5)) / 2;

        Assert.Equal(expected, ClusterQuality.Silhouette(Line, [0, 0, 1, 1], 100, new Random(0)), 1e-6);
    }

    [Fact]
    public void Davies_bouldin_matches_hand_computation()
    {
        // Centroids 0.5 and 10.5, scatter 0.5 each: (0.5 + 0.5) / 10.
        Assert.Equal(0.1, ClusterQuality.DaviesBouldin(Line, [0, 0, 1, 1]), 1e-6);
    }

    [Fact]
    public void True_k_scores_better_than_merged_or_split_labelings()
    {
        var (data, truth) = Blobs.Make(new Random(8), k: 4, perCluster: 150);
        var merged = truth.Select(l => l == 3 ? 2 : l).ToArray();                 // k = 3
        var split = truth.Select((l, i) => l == 0 && i % 8 == 0 ? 4 : l).ToArray(); // k = 5: blob 0 cut in half

        var sTrue = ClusterQuality.Silhouette(data, truth, 300, new Random(1));
        var sMerged = ClusterQuality.Silhouette(data, merged, 300, new Random(1));
        var sSplit = ClusterQuality.Silhouette(data, split, 300, new Random(1));
        var dbTrue = ClusterQuality.DaviesBouldin(data, truth);
        var dbMerged = ClusterQuality.DaviesBouldin(data, merged);
        var dbSplit = ClusterQuality.DaviesBouldin(data, split);

        Assert.True(sTrue > 0.7, $"silhouette {sTrue}");
        Assert.True(sTrue > sMerged && sTrue > sSplit, $"{sTrue} vs {sMerged}, {sSplit}");
        Assert.True(dbTrue < dbMerged && dbTrue < dbSplit, $"{dbTrue} vs {dbMerged}, {dbSplit}");
    }

    [Fact]
    public void Sampled_silhouette_is_close_to_the_full_one_and_seeded()
    {
        var (data, truth) = Blobs.Make(new Random(9), k: 3, perCluster: 200);

        var full = ClusterQuality.Silhouette(data, truth, data.Rows, new Random(0));
        var sampled = ClusterQuality.Silhouette(data, truth, 150, new Random(2));

        Assert.Equal(full, sampled, 0.02);
        Assert.Equal(sampled, ClusterQuality.Silhouette(data, truth, 150, new Random(2)));
    }

    [Fact]
    public void Outlier_group_can_be_ignored()
    {
        var data = FeatureMatrix.FromRows([[0f], [1f], [10f], [11f], [500f]]);

        var withIgnore = ClusterQuality.Silhouette(data, [0, 0, 1, 1, 2], 100, new Random(0), ignoreLabel: 2);

        Assert.Equal(ClusterQuality.Silhouette(Line, [0, 0, 1, 1], 100, new Random(0)), withIgnore, 1e-9);
        Assert.Equal(0.1, ClusterQuality.DaviesBouldin(data, [0, 0, 1, 1, 2], ignoreLabel: 2), 1e-6);
    }
}
