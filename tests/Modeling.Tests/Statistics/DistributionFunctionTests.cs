using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.Statistics;

public sealed class DistributionFunctionTests
{
    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1.0, 0.8413447460685429)]
    [InlineData(0.5, 0.6914624612740131)]
    [InlineData(-3.0, 0.0013498980316300957)]
    [InlineData(1.959963984540054, 0.975)]
    public void Normal_cdf_matches_table_values(double x, double expected)
    {
        Assert.Equal(expected, NormalDistribution.Cdf(x), 1e-12);
    }

    [Theory]
    [InlineData(-8.0, 6.220960574271819e-16)]
    [InlineData(-20.0, 2.7536241186063314e-89)]
    public void Normal_cdf_keeps_relative_accuracy_deep_in_the_lower_tail(double x, double expected)
    {
        Assert.Equal(1.0, NormalDistribution.Cdf(x) / expected, 1e-10);
    }

    [Fact]
    public void Normal_survival_is_symmetric_to_the_cdf()
    {
        Assert.Equal(0.0013498980316300957, NormalDistribution.Sf(3.0), 1e-15);
    }

    [Theory]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.8413447460685429, 1.0)]
    [InlineData(0.0013498980316300957, -3.0)]
    [InlineData(6.220960574271819e-16, -8.0)]
    public void Normal_inverse_cdf_matches_known_quantiles(double p, double expected)
    {
        Assert.Equal(expected, NormalDistribution.InverseCdf(p), 1e-9);
    }

    [Fact]
    public void Normal_inverse_cdf_round_trips_across_the_unit_interval()
    {
        for (var p = 1e-12; p < 1; p = p < 0.01 ? p * 10 : p + 0.0137)
        {
            var x = NormalDistribution.InverseCdf(p);
            Assert.Equal(p, NormalDistribution.Cdf(x), Math.Max(1e-15, p * 1e-9));
        }
    }

    [Theory]
    [InlineData(1e-300)]
    [InlineData(1e-320)]
    [InlineData(double.Epsilon)]
    public void Normal_inverse_cdf_stays_finite_for_subnormal_probabilities(double p)
    {
        var x = NormalDistribution.InverseCdf(p);

        Assert.True(double.IsFinite(x) && x < -37 && x > -39, $"Φ⁻¹({p}) = {x}");
        if (p >= 1e-300)
        {
            // Normal (not subnormal) doubles keep full precision, so the round trip must too.
            Assert.Equal(1.0, NormalDistribution.Cdf(x) / p, 1e-9);
        }
    }

    [Fact]
    public void Normal_inverse_cdf_is_infinite_at_the_ends_and_rejects_out_of_range()
    {
        Assert.Equal(double.NegativeInfinity, NormalDistribution.InverseCdf(0));
        Assert.Equal(double.PositiveInfinity, NormalDistribution.InverseCdf(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => NormalDistribution.InverseCdf(1.5));
    }

    [Theory]
    [InlineData(3.841458820694124, 1, 0.05)]              // the 5% critical value of χ²₁
    [InlineData(2.0, 1, 0.15729920705028513)]             // erfc(1)
    [InlineData(7.814727903251178, 3, 0.05)]              // the 5% critical value of χ²₃
    [InlineData(10.0, 4, 0.0404276819945128)]             // e^-5 (1 + 5) for even df
    [InlineData(20.0, 10, 0.029252688076961075)]          // e^-10 Σ_{k<5} 10^k / k!
    [InlineData(5.991464547107979, 2, 0.05)]              // df 2: survival is e^{-x/2}
    public void Chi_square_survival_matches_closed_forms(double x, double df, double expected)
    {
        Assert.Equal(expected, ChiSquaredDistribution.Sf(x, df), 1e-12);
        Assert.Equal(1 - expected, ChiSquaredDistribution.Cdf(x, df), 1e-12);
    }

    [Fact]
    public void Chi_square_survival_resolves_tiny_tail_probabilities()
    {
        // df = 2: exactly e^{-x/2}.
        Assert.Equal(1.0, ChiSquaredDistribution.Sf(200, 2) / Math.Exp(-100), 1e-10);
    }

    [Theory]
    [InlineData(0.5, 0.5723649429247004)]
    [InlineData(1.0, 0.0)]
    [InlineData(2.0, 0.0)]
    [InlineData(7.25, 7.0521854507385395)]
    [InlineData(100.5, 361.4355404677776)]
    [InlineData(1e-3, 6.907178885383854)]
    public void Log_gamma_matches_known_values(double x, double expected)
    {
        Assert.Equal(expected, SpecialFunctions.LogGamma(x), 1e-12);
    }

    [Fact]
    public void Regularized_beta_matches_closed_forms()
    {
        // I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a.
        Assert.Equal(1 - Math.Pow(0.7, 5), SpecialFunctions.RegularizedBeta(0.3, 1, 5), 1e-13);
        Assert.Equal(Math.Pow(0.8, 3), SpecialFunctions.RegularizedBeta(0.8, 3, 1), 1e-13);
        // Symmetric shapes put half the mass below one half.
        Assert.Equal(0.5, SpecialFunctions.RegularizedBeta(0.5, 40, 40), 1e-13);
    }
}
