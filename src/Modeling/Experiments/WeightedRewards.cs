using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Experiments;

/// <summary>
/// Additive sums of importance-weighted rewards: everything IPS, self-normalised IPS and their intervals need, so
/// they can be counted per silo and merged like <see cref="Outcomes.OutcomeCounts"/>. Observations with weight 0
/// need not be added; pass their number as the total to <see cref="WeightedEstimator.Estimate"/>.
/// </summary>
public record struct WeightedRewardSums(
    long Count,
    double Weights,
    double SquaredWeights,
    double WeightedRewards,
    double SquaredWeightRewards,
    double SquaredWeightedRewards)
{
    public readonly WeightedRewardSums Add(double weight, double reward)
    {
        if (!(weight >= 0) || double.IsInfinity(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Weights must be non-negative and finite.");
        }

        if (double.IsNaN(reward) || double.IsInfinity(reward))
        {
            throw new ArgumentOutOfRangeException(nameof(reward), reward, "Rewards must be finite.");
        }

        var w2 = weight * weight;
        return new(
            Count + 1,
            Weights + weight,
            SquaredWeights + w2,
            WeightedRewards + (weight * reward),
            SquaredWeightRewards + (w2 * reward),
            SquaredWeightedRewards + (w2 * reward * reward));
    }

    public readonly WeightedRewardSums Plus(in WeightedRewardSums other) => new(
        Count + other.Count,
        Weights + other.Weights,
        SquaredWeights + other.SquaredWeights,
        WeightedRewards + other.WeightedRewards,
        SquaredWeightRewards + other.SquaredWeightRewards,
        SquaredWeightedRewards + other.SquaredWeightedRewards);
}

/// <summary>
/// IPS (Horvitz–Thompson) and self-normalised IPS (Hájek) estimates of a mean reward with normal intervals.
/// </summary>
/// <param name="Observations">n, the logged decisions (including zero-weight ones).</param>
/// <param name="Ips">Σ w r / n: unbiased whenever the logged propensities are the true ones.</param>
/// <param name="IpsLower">Lower end of the IPS interval (sample variance of w r over n).</param>
/// <param name="IpsUpper">Upper end.</param>
/// <param name="SelfNormalized">Σ w r / Σ w: slightly biased, much lower variance; stays within the reward range.</param>
/// <param name="SelfNormalizedLower">Delta-method lower end: Var ≈ Σ w² (r − v)² / (Σ w)².</param>
/// <param name="SelfNormalizedUpper">Upper end.</param>
/// <param name="EffectiveSampleSize">(Σ w)² / Σ w² (Kish): how many on-policy samples the log is worth.</param>
public sealed record WeightedEstimate(
    long Observations,
    double Ips,
    double IpsLower,
    double IpsUpper,
    double SelfNormalized,
    double SelfNormalizedLower,
    double SelfNormalizedUpper,
    double EffectiveSampleSize);

public static class WeightedEstimator
{
    /// <param name="sums">Sums over the nonzero-weight observations (zero-weight ones may be included too).</param>
    /// <param name="observations">n, every observation including those with weight 0; at least <c>sums.Count</c>.</param>
    /// <param name="confidenceLevel">Interval level.</param>
    public static WeightedEstimate Estimate(in WeightedRewardSums sums, long observations, double confidenceLevel = 0.95)
    {
        if (observations < Math.Max(1, sums.Count))
        {
            throw new ArgumentOutOfRangeException(nameof(observations), observations, "Observations must be at least 1 and at least the number of summed observations.");
        }

        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "Confidence level must be in (0, 1).");
        }

        var z = NormalDistribution.InverseCdf(1 - ((1 - confidenceLevel) / 2));
        double n = observations;
        var ips = sums.WeightedRewards / n;
        var ipsHalf = 0.0;
        if (observations > 1)
        {
            var s2 = Math.Max(0, (sums.SquaredWeightedRewards - (n * ips * ips)) / (n - 1));
            ipsHalf = z * Math.Sqrt(s2 / n);
        }

        var sn = 0.0;
        var snHalf = 0.0;
        var ess = 0.0;
        if (sums.Weights > 0)
        {
            sn = sums.WeightedRewards / sums.Weights;
            // Σ w²(r − v)² = Σ w² r² − 2v Σ w² r + v² Σ w².
            var spread = Math.Max(0, sums.SquaredWeightedRewards - (2 * sn * sums.SquaredWeightRewards) + (sn * sn * sums.SquaredWeights));
            snHalf = z * Math.Sqrt(spread) / sums.Weights;
            ess = sums.Weights * sums.Weights / sums.SquaredWeights;
        }

        return new WeightedEstimate(observations, ips, ips - ipsHalf, ips + ipsHalf, sn, sn - snHalf, sn + snHalf, ess);
    }
}
