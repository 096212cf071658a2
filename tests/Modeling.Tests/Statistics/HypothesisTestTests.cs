using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.Statistics;

public sealed class HypothesisTestTests
{
    [Fact]
    public void Z_test_on_200_of_1000_vs_250_of_1000_matches_hand_computation()
    {
        // Pooled p = 0.225, SE = sqrt(0.225·0.775·0.002); unpooled SE = sqrt(0.00016 + 0.0001875).
        var r = TwoProportionZTest.Run(1000, 200, 1000, 250);

        Assert.Equal(0.20, r.RateA, 1e-15);
        Assert.Equal(0.25, r.RateB, 1e-15);
        Assert.Equal(0.05, r.Difference, 1e-15);
        Assert.Equal(2.677397763008329, r.Z, 1e-9);
        Assert.Equal(0.007419649261025693, r.PValue, 1e-9);
        Assert.Equal(0.013463621687539853, r.ConfidenceLower, 1e-9);
        Assert.Equal(0.08653637831246015, r.ConfidenceUpper, 1e-9);
        Assert.Equal(0.25, r.RelativeLift!.Value, 1e-12);
    }

    [Fact]
    public void Z_test_is_antisymmetric_when_arms_are_swapped()
    {
        var ab = TwoProportionZTest.Run(1000, 200, 1000, 250);
        var ba = TwoProportionZTest.Run(1000, 250, 1000, 200);

        Assert.Equal(-ab.Z, ba.Z, 1e-12);
        Assert.Equal(ab.PValue, ba.PValue, 1e-12);
        Assert.Equal(-ab.ConfidenceUpper, ba.ConfidenceLower, 1e-12);
    }

    [Fact]
    public void Z_test_with_zero_control_rate_has_no_lift_and_no_nan()
    {
        var r = TwoProportionZTest.Run(100, 0, 100, 0);

        Assert.Null(r.RelativeLift);
        Assert.Equal(0, r.Z);
        Assert.Equal(1, r.PValue);
    }

    [Fact]
    public void Wider_confidence_level_gives_wider_interval()
    {
        var r95 = TwoProportionZTest.Run(1000, 200, 1000, 250, 0.95);
        var r99 = TwoProportionZTest.Run(1000, 200, 1000, 250, 0.99);

        Assert.True(r99.ConfidenceUpper - r99.ConfidenceLower > r95.ConfidenceUpper - r95.ConfidenceLower);
        // The 99% critical value is 2.5758293035489; half-width = z · 0.018641351...
        Assert.Equal(2.5758293035489 * Math.Sqrt(0.0003475), (r99.ConfidenceUpper - r99.ConfidenceLower) / 2, 1e-9);
    }

    [Fact]
    public void Sample_ratio_test_matches_hand_computed_chi_square()
    {
        // Expected 5100/5100: χ² = 2 · 100² / 5100 = 3.92157, p = erfc(sqrt(χ²/2)).
        var r = SampleRatioMismatch.Test([5000L, 5200L], [0.5, 0.5]);

        Assert.Equal(3.9215686274509802, r.ChiSquare, 1e-10);
        Assert.Equal(1, r.DegreesOfFreedom);
        Assert.Equal(0.04767038065616144, r.PValue, 1e-10);
        Assert.False(r.IsMismatch);
    }

    [Fact]
    public void Sample_ratio_test_flags_a_broken_three_way_split()
    {
        // χ² = (0 + 1000² + 1000²)/50000 = 40 with df 2: p = e^-20.
        var r = SampleRatioMismatch.Test([50_000L, 51_000L, 49_000L], [1.0, 1.0, 1.0]);

        Assert.Equal(40, r.ChiSquare, 1e-9);
        Assert.Equal(1.0, r.PValue / 2.061153622438558e-09, 1e-9);
        Assert.True(r.IsMismatch);
    }

    [Fact]
    public void Sample_ratio_test_honors_unequal_allocation()
    {
        // 90/10 split observed exactly as intended: no mismatch at all.
        var r = SampleRatioMismatch.Test([9000L, 1000L], [9.0, 1.0]);

        Assert.Equal(0, r.ChiSquare, 1e-12);
        Assert.Equal(1, r.PValue, 1e-12);
        Assert.Equal([9000.0, 1000.0], r.Expected);
    }

    [Fact]
    public void Holm_adjusts_a_known_list_and_keeps_order_monotone()
    {
        // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max-carried to 0.06.
        var adjusted = MultipleTesting.HolmBonferroni([0.01, 0.04, 0.03, 0.005]);

        Assert.Equal(0.03, adjusted[0], 1e-12);
        Assert.Equal(0.06, adjusted[1], 1e-12);
        Assert.Equal(0.06, adjusted[2], 1e-12);
        Assert.Equal(0.02, adjusted[3], 1e-12);
        Assert.Equal([true, false, false, true], MultipleTesting.HolmReject([0.01, 0.04, 0.03, 0.005], 0.05));
    }

    [Fact]
    public void Holm_caps_at_one_and_gives_ties_one_value()
    {
        var adjusted = MultipleTesting.HolmBonferroni([0.4, 0.4, 0.9]);

        Assert.Equal(1.0, adjusted[0], 12);
        Assert.Equal(adjusted[0], adjusted[1]);
        Assert.Equal(1.0, adjusted[2], 12);
    }
}
