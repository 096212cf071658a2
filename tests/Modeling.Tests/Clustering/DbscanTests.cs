using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Tests.Clustering;

public sealed class DbscanTests
{
    [Fact]
    public void Recovers_planted_blobs_and_puts_outliers_in_their_own_group()
    {
        var (blobs, truth) = Blobs.Make(new Random(5), k: 3, perCluster: 100, sd: 0.5);
        var rows = new List<float[]>();
        for (var i = 0; i < blobs.Rows; i++)
        {
            rows.Add(blobs.ReadRow(i).ToArray());
        }

        // Five isolated points, far from the blobs and from each other.
        for (var o = 0; o < 5; o++)
        {
            var p = new float[blobs.Columns];
            p[o % blobs.Columns] = -30 - (10 * o);
            rows.Add(p);
        }

        var data = FeatureMatrix.FromRows(rows);

        var result = new Dbscan(new DbscanOptions(Epsilon: 2.0, MinPoints: 5)).Fit(data);

        Assert.Equal(3, result.ClusterCount);
        Assert.Equal(3, result.OutlierLabel);
        Assert.Equal(5, result.OutlierCount);
        Assert.True(Blobs.SamePartition(truth, result.Labels.AsSpan(0, blobs.Rows)));
        for (var i = blobs.Rows; i < data.Rows; i++)
        {
            Assert.Equal(result.OutlierLabel, result.Labels[i]);
        }

        Assert.Equal([100, 100, 100, 5], result.Sizes);
    }

    [Fact]
    public void Border_points_join_a_cluster_but_do_not_extend_it()
    {
        // 1-D, eps 1, minPts 4: a dense run 0..2 of core points; 2.9 has three points within eps
        // (2.0, itself, 3.8), so it only borders the run; 3.8 is within eps of 2.9 alone and must stay
        // noise, because reachability never passes through a border point.
        var data = FeatureMatrix.FromRows([[0f], [0.25f], [0.5f], [0.75f], [1f], [1.25f], [1.5f], [1.75f], [2f], [2.9f], [3.8f]]);

        var result = new Dbscan(new DbscanOptions(1.0, 4)).Fit(data);

        Assert.Equal(1, result.ClusterCount);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], result.Labels);
    }

    [Fact]
    public void Tiny_radius_makes_everything_an_outlier()
    {
        var (data, _) = Blobs.Make(new Random(6), k: 2, perCluster: 20);

        var result = new Dbscan(new DbscanOptions(1e-6, 2)).Fit(data);

        Assert.Equal(0, result.ClusterCount);
        Assert.Equal(data.Rows, result.OutlierCount);
        Assert.All(result.Labels, l => Assert.Equal(result.OutlierLabel, l));
    }

    [Fact]
    public void K_distances_are_sorted_descending_and_exact()
    {
        var data = FeatureMatrix.FromRows([[0f], [1f], [3f], [7f]]);

        // 1st-nearest distances: 0→1, 1→1, 3→2, 7→4.
        Assert.Equal([4.0, 2.0, 1.0, 1.0], Dbscan.KDistances(data, 1));
    }
}
