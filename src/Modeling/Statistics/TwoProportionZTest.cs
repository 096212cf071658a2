namespace Cohortly.Modeling.Statistics;

/// <summary>
/// Outcome of comparing conversion rates of a control (A) and a treatment (B).
/// </summary>
/// <param name="RateA">Conversions / impressions of A.</param>
/// <param name="RateB">Conversions / impressions of B.</param>
/// <param name="Difference">RateB − RateA.</param>
/// <param name="Z">Pooled-variance z statistic (0 when both rates are degenerate).</param>
/// <param name="PValue">Two-sided p-value of <see cref="Z"/>.</param>
/// <param name="ConfidenceLower">Lower end of the Wald interval for the difference (unpooled variance).</param>
/// <param name="ConfidenceUpper">Upper end of the Wald interval for the difference.</param>
/// <param name="ConfidenceLevel">Level of the interval, e.g. 0.95.</param>
/// <param name="RelativeLift">(RateB − RateA) / RateA; null when RateA is 0 (kept JSON-safe rather than NaN/∞).</param>
public sealed record TwoProportionTestResult(
    double RateA,
    double RateB,
    double Difference,
    double Z,
    double PValue,
    double ConfidenceLower,
    double ConfidenceUpper,
    double ConfidenceLevel,
    double? RelativeLift);

/// <summary>Two-proportion z-test (normal approximation) for A/B conversion rates.</summary>
public static class TwoProportionZTest
{
    public static TwoProportionTestResult Run(
        long impressionsA,
        long conversionsA,
        long impressionsB,
        long conversionsB,
        double confidenceLevel = 0.95)
    {
        ValidateCounts(impressionsA, conversionsA, nameof(impressionsA));
        ValidateCounts(impressionsB, conversionsB, nameof(impressionsB));
        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "Confidence level must be in (0, 1).");
        }

        double nA = impressionsA;
        double nB = impressionsB;
        var pA = conversionsA / nA;
        var pB = conversionsB / nB;
        var difference = pB - pA;

        // The test statistic uses the pooled rate (the null hypothesis says the rates are equal);
        // the interval uses each arm's own variance because it describes the alternative.
        var pooled = (conversionsA + conversionsB) / (nA + nB);
        var pooledSe = Math.Sqrt(pooled * (1 - pooled) * ((1 / nA) + (1 / nB)));
        var z = pooledSe > 0 ? difference / pooledSe : 0;
        var pValue = pooledSe > 0 ? NormalDistribution.TwoSidedPValue(z) : 1;

        var se = Math.Sqrt((pA * (1 - pA) / nA) + (pB * (1 - pB) / nB));
        var critical = NormalDistribution.InverseCdf(1 - ((1 - confidenceLevel) / 2));
        double? lift = pA > 0 ? difference / pA : null;

        return new TwoProportionTestResult(
            pA,
            pB,
            difference,
            z,
            pValue,
            difference - (critical * se),
            difference + (critical * se),
            confidenceLevel,
            lift);
    }

    private static void ValidateCounts(long impressions, long conversions, string name)
    {
        if (impressions <= 0)
        {
            throw new ArgumentOutOfRangeException(name, impressions, "Impressions must be positive.");
        }

        if (conversions < 0 || conversions > impressions)
        {
            throw new ArgumentOutOfRangeException(name, conversions, "Conversions must be between 0 and impressions.");
        }
    }
}
