namespace Cohortly.Modeling.Statistics;

/// <summary>One look of a mixture sequential probability ratio test on a difference.</summary>
/// <param name="Difference">Observed difference (treatment − baseline).</param>
/// <param name="Variance">Estimated variance of the difference at this look.</param>
/// <param name="MixtureSd">τ, the standard deviation of the normal mixture over the true difference.</param>
/// <param name="LogLikelihoodRatio">ln Λ of the mixture likelihood ratio against "no difference".</param>
/// <param name="PValue">Always-valid p-value: min(previous, 1/Λ), capped at 1.</param>
/// <param name="SequenceLower">Lower end of the always-valid (1 − α) confidence sequence.</param>
/// <param name="SequenceUpper">Upper end of the always-valid confidence sequence.</param>
public sealed record SequentialTestResult(
    double Difference,
    double Variance,
    double MixtureSd,
    double LogLikelihoodRatio,
    double PValue,
    double SequenceLower,
    double SequenceUpper);

/// <summary>
/// Always-valid inference for a difference with an approximately normal estimate: the normal-mixture SPRT
/// (Robbins 1970; Johari, Pekelis, Walsh, "Always valid inference", 2017 — the form Optimizely runs). With
/// d ~ N(θ, V) and θ ~ N(0, τ²) under the alternative, Λ = √(V/(V+τ²)) · exp(τ² d² / (2V(V+τ²))) is a
/// nonnegative martingale under θ = 0, so by Ville's inequality P(Λ ever ≥ 1/α) ≤ α: the experiment may be read
/// after every flush and stopped at the first rejection without inflating the false-positive rate.
/// </summary>
public static class AlwaysValidTest
{
    /// <param name="difference">Observed difference.</param>
    /// <param name="variance">Its estimated variance; 0 or less means no evidence yet.</param>
    /// <param name="mixtureSd">τ; choose it near the smallest effect worth detecting (power peaks there).</param>
    /// <param name="alpha">Level of the confidence sequence.</param>
    /// <param name="previousPValue">The p-value of the previous look (1 at the first); the result never rises above it.</param>
    public static SequentialTestResult Run(double difference, double variance, double mixtureSd, double alpha = 0.05, double previousPValue = 1)
    {
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must be in (0, 1).");
        }

        if (!(previousPValue >= 0 && previousPValue <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(previousPValue), previousPValue, "A p-value must be in [0, 1].");
        }

        if (double.IsNaN(difference) || double.IsNaN(variance) || double.IsNaN(mixtureSd))
        {
            throw new ArgumentException("Difference, variance and mixture sd must be numbers.");
        }

        var tau2 = mixtureSd * mixtureSd;
        if (!(variance > 0) || !(tau2 > 0) || double.IsInfinity(variance))
        {
            return new SequentialTestResult(difference, Math.Max(0, variance), mixtureSd, 0, previousPValue, difference, difference);
        }

        var total = variance + tau2;
        var logLr = (0.5 * Math.Log(variance / total)) + (tau2 * difference * difference / (2 * variance * total));
        var p = Math.Min(previousPValue, Math.Min(1, Math.Exp(-logLr)));

        // {θ : Λ(θ) < 1/α} solved for θ gives d ± √(V(V+τ²)/τ² · (2 ln(1/α) + ln((V+τ²)/V))).
        var halfWidth = Math.Sqrt(variance * total / tau2 * ((2 * Math.Log(1 / alpha)) + Math.Log(total / variance)));
        return new SequentialTestResult(difference, variance, mixtureSd, logLr, p, difference - halfWidth, difference + halfWidth);
    }
}
