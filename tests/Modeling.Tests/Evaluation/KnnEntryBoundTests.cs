using Cohortly.Modeling.Evaluation;

namespace Cohortly.Modeling.Tests.Evaluation;

/// <summary>The item-kNN grid never tries more neighbours than the catalog has or the entry bound allows.</summary>
public sealed class KnnEntryBoundTests
{
    [Theory]
    [InlineData(100_000, 50_000_000L, 500)]
    [InlineData(5_000, 50_000_000L, 5_000)]
    [InlineData(1_682, long.MaxValue, 1_682)]
    [InlineData(1_000_000, 50_000_000L, 50)]
    [InlineData(1_000_000, 1_000L, 1)]
    [InlineData(0, 1_000L, 1)]
    public void The_largest_k_is_the_smaller_of_the_catalog_and_the_entries_per_item(int items, long entries, int expected) =>
        Assert.Equal(expected, ModelGrids.MaxNeighbors(items, entries));

    [Fact]
    public void A_bound_inside_the_grid_cuts_it_and_closes_it_with_the_bound()
    {
        var k = ModelGrids.ItemKnn(100_000, 50_000_000).Axes[0];

        Assert.Equal("k", k.Name);
        Assert.Equal([10, 20, 50, 100, 200, 400, 500], k.Values);
        Assert.Equal(500, k.Maximum);
        // Growing past the edge stops at the bound.
        Assert.Null(k.Beyond(400, 500));
    }

    [Fact]
    public void A_catalog_inside_the_bound_keeps_the_grid_and_grows_up_to_the_catalog()
    {
        var k = ModelGrids.ItemKnn(1_682, 50_000_000).Axes[0];

        Assert.Equal([10, 20, 50, 100, 200, 400, 1000], k.Values);
        Assert.Equal(1_682, k.Maximum);
        Assert.Equal(1_682, k.Beyond(400, 1000));
    }
}
