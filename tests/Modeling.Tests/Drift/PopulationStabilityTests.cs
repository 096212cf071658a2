using Cohortly.Modeling.Drift;
using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.Drift;

public sealed class PopulationStabilityTests
{
    [Fact]
    public void Identical_distributions_have_zero_psi()
    {
        var sample = Normal(new Random(1), 5000, 0);

        var r = PopulationStability.Compare(sample, sample);

        Assert.Equal(0, r.Index, 1e-15);
        Assert.Equal(PopulationShift.Stable, r.Shift);
    }

    [Fact]
    public void Psi_grows_with_the_size_of_the_shift()
    {
        var reference = Normal(new Random(1), 5000, 0);
        var same = PopulationStability.Compare(reference, Normal(new Random(2), 5000, 0)).Index;
        var small = PopulationStability.Compare(reference, Normal(new Random(3), 5000, 0.3)).Index;
        var large = PopulationStability.Compare(reference, Normal(new Random(4), 5000, 1.0)).Index;

        Assert.True(same < 0.02, $"same-distribution PSI {same}");
        Assert.True(small > same && small < large, $"{same} < {small} < {large} expected");
        Assert.True(large > 0.25, $"large shift PSI {large}");
    }

    [Fact]
    public void Psi_from_counts_matches_the_formula()
    {
        // (0.25 − 0.5) ln(0.5) + (0.75 − 0.5) ln(1.5) = 0.25 ln 3.
        var r = PopulationStability.FromCounts([50.0, 50.0], [25.0, 75.0], epsilon: 1e-12);

        Assert.Equal(0.25 * Math.Log(3), r.Index, 1e-9);
        Assert.Equal(r.Index, r.Contributions[0] + r.Contributions[1], 1e-15);
    }

    [Fact]
    public void Empty_bins_stay_finite_thanks_to_smoothing()
    {
        var r = PopulationStability.FromCounts([100.0, 0.0], [50.0, 50.0]);

        Assert.True(double.IsFinite(r.Index));
        Assert.True(r.Index > 1);
    }

    [Fact]
    public void Quantile_edges_split_the_reference_evenly()
    {
        var reference = new double[100];
        for (var i = 0; i < reference.Length; i++)
        {
            reference[i] = i + 1;
        }

        var edges = QuantileBinning.Edges(reference, 4);

        Assert.Equal([26.0, 51.0, 76.0], edges);
        Assert.Equal([25.0, 25.0, 25.0, 25.0], QuantileBinning.Histogram(reference, edges));
        Assert.Equal(0, QuantileBinning.Bin(edges, -1000));
        Assert.Equal(3, QuantileBinning.Bin(edges, 1000));
    }

    [Fact]
    public void Tied_reference_collapses_duplicate_edges()
    {
        var reference = new double[100];
        reference[98] = 5;
        reference[99] = 7;

        var edges = QuantileBinning.Edges(reference, 10);

        // 98 zeros: every decile but the last is 0, so only one edge survives.
        Assert.Equal([5.0], edges);
        Assert.Equal([98.0, 2.0], QuantileBinning.Histogram(reference, edges));
    }

    private static double[] Normal(Random random, int n, double mean)
    {
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = mean + RandomVariates.StandardNormal(random);
        }

        return values;
    }
}
