using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Experiments;

/// <summary>A variant's binomial evidence in one cohort (e.g. exposures and clicked exposures).</summary>
public readonly record struct ArmEvidence(string Variant, long Trials, long Successes);

/// <summary>A cohort's traffic split over variants; the probabilities sum to 1 and each is at least the floor.</summary>
public sealed record BanditAllocation(IReadOnlyList<string> Variants, double[] Probabilities);

/// <summary>One exposure's arm and the probability it had of being chosen (its propensity).</summary>
public readonly record struct BanditAssignment(string Variant, int Index, double Propensity);

/// <summary>A variant's propensity-weighted counters in one cohort: weight 1/propensity, reward the outcome.</summary>
public sealed record BanditArmCounts(string Variant, WeightedRewardSums Sums);

/// <summary>A variant's unbiased (inverse-propensity) estimate under bandit allocation, and its lift over the first arm.</summary>
/// <param name="Variant">Variant name.</param>
/// <param name="Estimate">IPS / self-normalised estimates of the variant's rate over the whole cohort.</param>
/// <param name="DifferenceFromBaseline">IPS estimate of rate − the first (baseline) arm's rate; 0 for the baseline.</param>
/// <param name="DifferenceLower">Lower end of its normal interval.</param>
/// <param name="DifferenceUpper">Upper end.</param>
public sealed record BanditArmEstimate(string Variant, WeightedEstimate Estimate, double DifferenceFromBaseline, double DifferenceLower, double DifferenceUpper);

/// <summary>
/// Per-cohort Thompson sampling over experiment variants, in the batched form: the grain recomputes the split from
/// the cohort's counters on each flush (<see cref="Allocate"/>), and each exposure draws its arm from that split
/// (<see cref="Choose"/>). The split is P(arm is best) under Beta posteriors — exactly the probability with which
/// per-request Thompson sampling picks each arm — mixed with a floor so no arm starves; because the split is known,
/// every exposure carries its exact propensity and <see cref="Estimate"/> stays unbiased although allocation adapts.
/// </summary>
public static class ThompsonAllocator
{
    public static BanditAllocation Allocate(IReadOnlyList<ArmEvidence> arms, double floor, Random random, int draws = 20_000)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(random);
        if (arms.Count < 2)
        {
            throw new ArgumentException("A bandit needs at least two arms.", nameof(arms));
        }

        if (!(floor >= 0) || floor * arms.Count > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(floor), floor, $"Floor must be in [0, 1/{arms.Count}].");
        }

        var posteriors = new BetaPosterior[arms.Count];
        var names = new string[arms.Count];
        for (var i = 0; i < arms.Count; i++)
        {
            posteriors[i] = BetaPosterior.FromCounts(arms[i].Trials, arms[i].Successes);
            names[i] = arms[i].Variant;
        }

        var best = BayesianComparison.ProbabilityOfBeingBest(posteriors, random, draws);
        var free = 1 - (floor * arms.Count);
        var probabilities = new double[arms.Count];
        var total = 0.0;
        for (var i = 0; i < arms.Count; i++)
        {
            probabilities[i] = floor + (free * best[i]);
            total += probabilities[i];
        }

        for (var i = 0; i < arms.Count; i++)
        {
            probabilities[i] /= total;
        }

        return new BanditAllocation(names, probabilities);
    }

    public static BanditAssignment Choose(BanditAllocation allocation, Random random)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        ArgumentNullException.ThrowIfNull(random);
        var u = random.NextDouble();
        var p = allocation.Probabilities;
        var cumulative = 0.0;
        for (var i = 0; i < p.Length - 1; i++)
        {
            cumulative += p[i];
            if (u < cumulative)
            {
                return new BanditAssignment(allocation.Variants[i], i, p[i]);
            }
        }

        return new BanditAssignment(allocation.Variants[^1], p.Length - 1, p[^1]);
    }

    /// <summary>
    /// Inverse-propensity estimates of each arm's rate had it served the whole cohort: IPS divides by every exposure
    /// of the cohort (all arms), so it is unbiased under any adaptive split whose propensities were recorded.
    /// </summary>
    public static BanditArmEstimate[] Estimate(IReadOnlyList<BanditArmCounts> arms, double confidenceLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(arms);
        var total = 0L;
        foreach (var arm in arms)
        {
            total += arm.Sums.Count;
        }

        var n = Math.Max(1, total);
        var z = NormalDistribution.InverseCdf(1 - ((1 - confidenceLevel) / 2));
        var estimates = new BanditArmEstimate[arms.Count];
        var baseline = arms.Count > 0 ? arms[0].Sums : default;
        for (var i = 0; i < arms.Count; i++)
        {
            var estimate = WeightedEstimator.Estimate(arms[i].Sums, n, confidenceLevel);
            var difference = 0.0;
            var half = 0.0;
            if (i > 0 && n > 1)
            {
                // Per exposure Y = 1[variant] r/p − 1[baseline] r/p; an exposure has one arm, so ΣY² is the sum of the
                // two arms' Σ(w r)² and the difference's sample variance needs no cross term.
                difference = (arms[i].Sums.WeightedRewards - baseline.WeightedRewards) / n;
                var squares = arms[i].Sums.SquaredWeightedRewards + baseline.SquaredWeightedRewards;
                var s2 = Math.Max(0, (squares - (n * difference * difference)) / (n - 1));
                half = z * Math.Sqrt(s2 / n);
            }

            estimates[i] = new BanditArmEstimate(arms[i].Variant, estimate, difference, difference - half, difference + half);
        }

        return estimates;
    }
}
