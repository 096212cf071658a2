namespace Cohortly.Modeling.Outcomes;

/// <summary>A point estimate with its 95% interval.</summary>
public readonly record struct Estimate(double Value, double Low, double High);

/// <summary>Interval formulas for outcome metrics.</summary>
public static class OutcomeIntervals
{
    /// <summary>The standard normal quantile of 0.975 (two-sided 95%).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// Wilson score interval of a proportion (Wilson 1927): unlike the Wald interval it stays inside [0, 1] and keeps
    /// its coverage near 0 and 1, where click and conversion rates live. Null without trials.
    /// </summary>
    public static Estimate? Wilson(long successes, long trials, double z = Z95)
    {
        if (trials <= 0)
        {
            return null;
        }

        var n = (double)trials;
        var p = Math.Clamp(successes, 0, trials) / n;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var center = (p + (z2 / (2 * n))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / denominator;
        return new Estimate(p, Math.Max(0, center - half), Math.Min(1, center + half));
    }

    /// <summary>
    /// Normal interval of a mean from the sum and the sum of squares of <paramref name="n"/> observations (zeros
    /// included): mean ± z·s/√n with the unbiased sample variance. The low end is clipped at zero for non-negative
    /// data such as revenue. Null without observations; with one observation the interval is the point.
    /// </summary>
    public static Estimate? Mean(double sum, double sumOfSquares, long n, double z = Z95, bool nonNegative = true)
    {
        if (n <= 0)
        {
            return null;
        }

        var mean = sum / n;
        if (n == 1)
        {
            return new Estimate(mean, mean, mean);
        }

        // Σx² − n·mean², guarded against the rounding that can make it slightly negative.
        var variance = Math.Max(0, (sumOfSquares - (n * mean * mean)) / (n - 1));
        var half = z * Math.Sqrt(variance / n);
        var low = mean - half;
        return new Estimate(mean, nonNegative ? Math.Max(0, low) : low, mean + half);
    }
}

/// <summary>
/// What a set of outcome counters says. Rates per exposure (one recommendation response) are the binomial units
/// experiments compare; <see cref="ClicksPerImpression"/> is the item-level click-through rate.
/// </summary>
/// <param name="ClickedExposureRate">Exposures with at least one attributed click / exposures (Wilson 95%).</param>
/// <param name="ClicksPerImpression">Clicks / impressions, a click counted at most once per impression (Wilson 95%).</param>
/// <param name="ConversionRate">Exposures with at least one attributed purchase / exposures (Wilson 95%).</param>
/// <param name="RevenuePerImpression">Attributed revenue / impressions (normal 95% from revenue and revenue²).</param>
public sealed record OutcomeMetrics(
    long Exposures,
    long Impressions,
    long Clicks,
    long ClickedExposures,
    long AddToCarts,
    long Purchases,
    long ConvertedExposures,
    double Revenue,
    Estimate? ClickedExposureRate,
    Estimate? ClicksPerImpression,
    Estimate? ConversionRate,
    Estimate? RevenuePerImpression)
{
    public static OutcomeMetrics From(in OutcomeCounts c) => new(
        c.Exposures,
        c.Impressions,
        c.Clicks,
        c.ClickedExposures,
        c.AddToCarts,
        c.Purchases,
        c.ConvertedExposures,
        c.Revenue,
        OutcomeIntervals.Wilson(c.ClickedExposures, c.Exposures),
        OutcomeIntervals.Wilson(Math.Min(c.Clicks, c.Impressions), c.Impressions),
        OutcomeIntervals.Wilson(c.ConvertedExposures, c.Exposures),
        OutcomeIntervals.Mean(c.Revenue, c.RevenueSquares, c.Impressions));
}
