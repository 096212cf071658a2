using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Tests.Outcomes;

public sealed class OutcomeMetricsTests
{
    [Theory]
    [InlineData(10, 100, 0.0552291, 0.1743657)] // Wilson 95% for 10/100
    [InlineData(81, 263, 0.2552885, 0.3662096)] // Newcombe (1998), example of 81/263
    [InlineData(0, 10, 0.0, 0.2775328)]         // no successes: the interval still has width
    [InlineData(10, 10, 0.7224672, 1.0)]
    public void Wilson_interval_matches_known_values(long successes, long trials, double low, double high)
    {
        var e = OutcomeIntervals.Wilson(successes, trials)!.Value;

        Assert.Equal((double)successes / trials, e.Value, 12);
        Assert.Equal(low, e.Low, 1e-6);
        Assert.Equal(high, e.High, 1e-6);
    }

    [Fact]
    public void Wilson_without_trials_has_no_estimate() => Assert.Null(OutcomeIntervals.Wilson(0, 0));

    [Fact]
    public void Revenue_per_impression_interval_uses_the_sample_variance_from_sums()
    {
        // Ten impressions, two purchases of 10 and 20: mean 3, sample variance (500 − 10·9)/9 = 45.56, s/√n = 2.1344.
        var e = OutcomeIntervals.Mean(30, 500, 10, nonNegative: false)!.Value;

        Assert.Equal(3.0, e.Value, 12);
        Assert.Equal(3 - (OutcomeIntervals.Z95 * Math.Sqrt(410.0 / 9 / 10)), e.Low, 9);
        Assert.Equal(7.1832976, e.High, 1e-6);
        Assert.Equal(-1.1832976, e.Low, 1e-6);
        Assert.Equal(0, OutcomeIntervals.Mean(30, 500, 10)!.Value.Low); // clipped for revenue
    }

    [Fact]
    public void Metrics_name_exposure_and_impression_rates_apart()
    {
        // 200 responses, 1,000 items shown; 30 clicks from 25 responses; 4 responses bought, 5 purchases worth 100.
        var counts = new OutcomeCounts(Exposures: 200, Impressions: 1000, Clicks: 30, AddToCarts: 6, Purchases: 5, Revenue: 100, ClickedExposures: 25, ConvertedExposures: 4, RevenueSquares: 2500);

        var m = OutcomeMetrics.From(counts);

        Assert.Equal(25.0 / 200, m.ClickedExposureRate!.Value.Value, 12);
        Assert.Equal(30.0 / 1000, m.ClicksPerImpression!.Value.Value, 12);
        Assert.Equal(4.0 / 200, m.ConversionRate!.Value.Value, 12);
        Assert.Equal(0.1, m.RevenuePerImpression!.Value.Value, 12);
        Assert.True(m.RevenuePerImpression.Value.Low < 0.1 && m.RevenuePerImpression.Value.High > 0.1);
        Assert.Equal(1000, m.Impressions);
        Assert.Equal(5, m.Purchases);
    }

    [Fact]
    public void Metrics_without_exposures_have_no_rates()
    {
        // Explored slots count impressions only.
        var m = OutcomeMetrics.From(new OutcomeCounts(0, 5, 1, 0, 0, 0, 0, 0, 0));

        Assert.Null(m.ClickedExposureRate);
        Assert.Null(m.ConversionRate);
        Assert.Equal(0.2, m.ClicksPerImpression!.Value.Value, 12);
    }
}
