using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.Statistics;

public sealed class BayesianComparisonTests
{
    [Theory]
    [InlineData(1, 1, 1, 1, 0.5)]              // two uniforms
    [InlineData(1, 1, 2, 1, 2.0 / 3)]          // ∫ 2x · x dx
    [InlineData(2, 1, 1, 2, 1.0 / 6)]          // ∫ 2(1−x) · x² dx
    [InlineData(1, 2, 2, 1, 5.0 / 6)]          // complement of the previous by symmetry of roles
    public void Exact_probability_matches_hand_integrals(double aAlpha, double aBeta, double bAlpha, double bBeta, double expected)
    {
        var p = BayesianComparison.ProbabilityBBeatsA(new BetaPosterior(aAlpha, aBeta), new BetaPosterior(bAlpha, bBeta));

        Assert.Equal(expected, p, 1e-12);
    }

    [Fact]
    public void Exact_sum_and_quadrature_agree()
    {
        var a = BetaPosterior.FromCounts(1000, 200);
        var b = BetaPosterior.FromCounts(1000, 250);

        Assert.True(BayesianComparison.TryExact(a, b, out var exact));
        var integrated = BayesianComparison.ByIntegration(a, b);

        Assert.Equal(exact, integrated, 1e-7);
        // Close to the one-sided normal approximation Φ(2.68) ≈ 0.996.
        Assert.InRange(exact, 0.99, 0.999);
    }

    [Fact]
    public void Exact_sum_works_when_only_control_alpha_is_integral()
    {
        var a = new BetaPosterior(30, 170.5);
        var b = new BetaPosterior(35.5, 165.25);

        Assert.True(BayesianComparison.TryExact(a, b, out var viaSwap));
        Assert.Equal(BayesianComparison.ByIntegration(a, b), viaSwap, 1e-7);
    }

    [Fact]
    public void Monte_carlo_agrees_with_the_exact_value()
    {
        var a = BetaPosterior.FromCounts(500, 40);
        var b = BetaPosterior.FromCounts(520, 52);
        var exact = BayesianComparison.ProbabilityBBeatsA(a, b);

        var mc = BayesianComparison.MonteCarlo(a, b, new Random(7), 200_000);

        // Standard error ≤ 0.5/sqrt(200000) ≈ 0.0011.
        Assert.Equal(exact, mc, 0.005);
    }

    [Fact]
    public void Monte_carlo_is_reproducible_under_a_seed()
    {
        var a = new BetaPosterior(3, 9);
        var b = new BetaPosterior(4, 8);

        Assert.Equal(
            BayesianComparison.MonteCarlo(a, b, new Random(11), 5000),
            BayesianComparison.MonteCarlo(a, b, new Random(11), 5000));
    }

    [Fact]
    public void Large_counts_stay_finite_where_single_terms_underflow()
    {
        // Every exact-sum term is far below double's range here; the log-space sum must still work.
        var a = BetaPosterior.FromCounts(2_000_000, 100_000);
        var b = BetaPosterior.FromCounts(2_000_000, 101_000);

        var p = BayesianComparison.ProbabilityBBeatsA(a, b);

        // Difference 0.0005 with SE ≈ 0.000218 → z ≈ 2.29, Φ(z) ≈ 0.989.
        Assert.InRange(p, 0.985, 0.993);
        Assert.Equal(BayesianComparison.ByIntegration(a, b), p, 1e-6);
    }

    [Fact]
    public void Non_integral_small_shapes_need_a_random_and_then_use_monte_carlo()
    {
        var a = new BetaPosterior(0.5, 0.5);
        var b = new BetaPosterior(0.7, 0.5);

        Assert.Throws<InvalidOperationException>(() => BayesianComparison.ProbabilityBBeatsA(a, b));
        var p = BayesianComparison.ProbabilityBBeatsA(a, b, new Random(3), 50_000);
        Assert.InRange(p, 0.5, 0.65);
    }

    [Fact]
    public void Beta_sampler_matches_mean_and_variance()
    {
        var random = new Random(42);
        var posterior = new BetaPosterior(2.5, 7.5);
        const int n = 100_000;
        double sum = 0, sumSq = 0;
        for (var i = 0; i < n; i++)
        {
            var x = posterior.Sample(random);
            Assert.InRange(x, 0, 1);
            sum += x;
            sumSq += x * x;
        }

        var mean = sum / n;
        var variance = (sumSq / n) - (mean * mean);
        Assert.Equal(0.25, mean, 0.003);
        Assert.Equal(posterior.Variance, variance, 0.001);
    }

    [Fact]
    public void Gamma_sampler_with_shape_below_one_matches_its_mean()
    {
        var random = new Random(5);
        const int n = 100_000;
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            sum += RandomVariates.Gamma(random, 0.3);
        }

        // Gamma(0.3, 1): mean 0.3, sd sqrt(0.3) → SE of the mean ≈ 0.0017.
        Assert.Equal(0.3, sum / n, 0.01);
    }
}
