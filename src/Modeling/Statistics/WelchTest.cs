namespace Cohortly.Modeling.Statistics;

/// <summary>Difference of two means (B − A) with a Welch–Satterthwaite interval.</summary>
/// <param name="MeanA">Mean of A.</param>
/// <param name="MeanB">Mean of B.</param>
/// <param name="Difference">MeanB − MeanA.</param>
/// <param name="Variance">Var(MeanB − MeanA) = s²_A/n_A + s²_B/n_B.</param>
/// <param name="DegreesOfFreedom">Welch–Satterthwaite degrees of freedom.</param>
/// <param name="PValue">Two-sided Welch t p-value (1 when the variance is 0).</param>
/// <param name="ConfidenceLower">Lower end of the interval for the difference.</param>
/// <param name="ConfidenceUpper">Upper end of the interval for the difference.</param>
public sealed record MeanDifferenceResult(
    double MeanA,
    double MeanB,
    double Difference,
    double Variance,
    double DegreesOfFreedom,
    double PValue,
    double ConfidenceLower,
    double ConfidenceUpper);

/// <summary>Welch's unequal-variance comparison computed from additive sums (n, Σx, Σx²), as counters store them.</summary>
public static class WelchTest
{
    public static MeanDifferenceResult FromSums(
        long countA,
        double sumA,
        double sumSquaresA,
        long countB,
        double sumB,
        double sumSquaresB,
        double confidenceLevel = 0.95)
    {
        if (countA < 2 || countB < 2)
        {
            throw new ArgumentOutOfRangeException(countA < 2 ? nameof(countA) : nameof(countB), "Each side needs at least two observations.");
        }

        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "Confidence level must be in (0, 1).");
        }

        var (meanA, varA) = MeanAndVarianceOfMean(countA, sumA, sumSquaresA);
        var (meanB, varB) = MeanAndVarianceOfMean(countB, sumB, sumSquaresB);
        var difference = meanB - meanA;
        var variance = varA + varB;
        if (!(variance > 0))
        {
            return new MeanDifferenceResult(meanA, meanB, difference, 0, double.MaxValue, 1, difference, difference);
        }

        var df = variance * variance / ((varA * varA / (countA - 1)) + (varB * varB / (countB - 1)));
        var se = Math.Sqrt(variance);
        var t = difference / se;
        var p = Math.Min(1, 2 * StudentTDistribution.Cdf(-Math.Abs(t), df));
        var critical = StudentTDistribution.InverseCdf(1 - ((1 - confidenceLevel) / 2), df);
        return new MeanDifferenceResult(meanA, meanB, difference, variance, df, p, difference - (critical * se), difference + (critical * se));
    }

    /// <summary>Mean and the variance of the mean, s²/n with the unbiased s² = (Σx² − (Σx)²/n)/(n − 1), floored at 0 against rounding.</summary>
    public static (double Mean, double VarianceOfMean) MeanAndVarianceOfMean(long count, double sum, double sumSquares)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        var mean = sum / count;
        var s2 = Math.Max(0, (sumSquares - (sum * mean)) / (count - 1));
        return (mean, s2 / count);
    }
}
