using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Trending;

namespace Cohortly.Modeling.Tests.Segmentation;

public sealed class SegmentationTests
{
    private static FeatureMatrix Blobs(int perBlob, float[][] centres, int seed)
    {
        var rng = new Random(seed);
        var rows = new List<float[]>();
        foreach (var c in centres)
        {
            for (var i = 0; i < perBlob; i++)
            {
                rows.Add(c.Select(x => x + (float)((rng.NextDouble() - 0.5) * 0.2)).ToArray());
            }
        }

        return FeatureMatrix.FromRows(rows);
    }

    [Fact]
    public void Reclustering_the_same_population_keeps_cohort_ids_on_the_same_centroids()
    {
        float[][] centres = [[0, 0], [5, 5], [0, 5]];
        var names = new[] { "monetary", "frequency" };
        var first = SegmentationBuilder.Build(Blobs(50, centres, 1), names, null, 1, new SegmentationOptions { K = 3, Seed = 1 });
        var second = SegmentationBuilder.Build(Blobs(50, centres, 2), names, first, 2, new SegmentationOptions { K = 3, Seed = 99 });

        foreach (var centre in centres)
        {
            Assert.Equal(first.Assign(centre), second.Assign(centre));
        }

        Assert.Equal(new[] { 1, 2, 3 }, second.CohortIds.Order());
    }

    [Fact]
    public void New_cluster_gets_a_fresh_id_above_previous_ones()
    {
        var names = new[] { "monetary", "frequency" };
        var first = SegmentationBuilder.Build(Blobs(50, [[0, 0], [5, 5]], 1), names, null, 1, new SegmentationOptions { K = 2 });
        var second = SegmentationBuilder.Build(Blobs(50, [[0, 0], [5, 5], [10, 0]], 2), names, first, 2, new SegmentationOptions { K = 3 });

        Assert.Equal(3, second.Assign([10, 0]));
        Assert.Equal(first.Assign([0, 0]), second.Assign([0, 0]));
    }

    [Fact]
    public void Labels_name_the_dominant_standardized_traits()
    {
        var label = CohortLabeler.Label(["frequency", "monetary", "purchase_rate", "night_share"], [1.5f, 2f, 1f, 0.1f]);
        Assert.Equal("high-spend frequent buyers", label);
        Assert.Equal("typical window shoppers", CohortLabeler.Label(["purchase_rate"], [-1f]));
    }

    [Fact]
    public void Adjusted_rand_index_is_one_for_relabelled_partitions_and_near_zero_for_noise()
    {
        Assert.Equal(1, ClusterAgreement.AdjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9]), 9);
        var rng = new Random(3);
        var a = Enumerable.Range(0, 5000).Select(_ => rng.Next(4)).ToArray();
        var b = Enumerable.Range(0, 5000).Select(_ => rng.Next(4)).ToArray();
        Assert.InRange(ClusterAgreement.AdjustedRandIndex(a, b), -0.02, 0.02);
    }
}

public sealed class DecayedTopItemsTests
{
    [Fact]
    public void Recent_interest_outranks_older_interest_of_the_same_weight()
    {
        var top = new DecayedTopItems { HalfLifeHours = 1 };
        top.Add("old", 3, 0);
        top.Add("new", 2, 3_600_000);
        var ranked = top.Top(2, 3_600_000);

        Assert.Equal("new", ranked[0].ItemId);
        Assert.Equal(1.5, ranked[1].Score, 6);
    }

    [Fact]
    public void Capacity_bounds_memory_and_keeps_the_strongest_items()
    {
        var top = new DecayedTopItems { Capacity = 10 };
        for (var i = 0; i < 100; i++)
        {
            top.Add($"i{i}", i, 0);
        }

        Assert.True(top.Scores.Count <= 20);
        Assert.Equal("i99", top.Top(1, 0)[0].ItemId);
    }

    [Fact]
    public void Scores_stay_correct_across_a_landmark_rebase()
    {
        var top = new DecayedTopItems { HalfLifeHours = 1 };
        top.Add("a", 1, 0);
        var later = 40L * 3_600_000;
        top.Add("b", 1, later);
        var ranked = top.Top(2, later);
        Assert.Equal("b", ranked[0].ItemId);
        Assert.Equal(1.0, ranked[0].Score, 6);
        Assert.Equal(Math.Pow(2, -40), ranked[1].Score, 12);
    }
}
