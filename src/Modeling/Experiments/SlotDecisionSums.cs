using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Experiments;

/// <summary>
/// Sufficient statistics of logged ε-greedy slot decisions for evaluating every ε'-greedy policy. A decision's
/// importance weight for ε' is w = (1 − ε')·A + ε'·B with A = [greedy]/μ and B = <see cref="SlotDecision.UniformShare"/>/μ,
/// so Σw, Σw², Σw·r and Σw²·r are fixed combinations of the sums of A, B, A², A·B, B² (with and without the reward):
/// the log can be pre-aggregated per silo and cohort and merged by addition, and no decision needs to be kept. Rewards
/// are 0/1 (a click attributed to the slot), so r² = r and the reward-weighted second moments serve both
/// <see cref="WeightedRewardSums.SquaredWeightRewards"/> and <see cref="WeightedRewardSums.SquaredWeightedRewards"/>.
/// </summary>
/// <remarks>A default instance is empty; every member is a sum, so buckets that never saw a decision cost nothing.</remarks>
public record struct SlotDecisionSums(
    long Decisions,
    long Rewards,
    double Greedy,
    double Uniform,
    double GreedySquared,
    double GreedyUniform,
    double UniformSquared,
    double RewardGreedy,
    double RewardUniform,
    double RewardGreedySquared,
    double RewardGreedyUniform,
    double RewardUniformSquared)
{
    public readonly bool IsEmpty => this == default;

    /// <summary>The non-reward terms of one logged decision (recorded when the slot is served).</summary>
    public static SlotDecisionSums Served(in SlotDecision decision)
    {
        var (a, b) = Terms(decision);
        return new SlotDecisionSums(1, 0, a, b, a * a, a * b, b * b, 0, 0, 0, 0, 0);
    }

    /// <summary>The reward terms of one decision whose slot got its first attributed click (reward 1).</summary>
    public static SlotDecisionSums Rewarded(in SlotDecision decision)
    {
        var (a, b) = Terms(decision);
        return new SlotDecisionSums(0, 1, 0, 0, 0, 0, 0, a, b, a * a, a * b, b * b);
    }

    public readonly SlotDecisionSums Plus(in SlotDecisionSums o) => new(
        Decisions + o.Decisions,
        Rewards + o.Rewards,
        Greedy + o.Greedy,
        Uniform + o.Uniform,
        GreedySquared + o.GreedySquared,
        GreedyUniform + o.GreedyUniform,
        UniformSquared + o.UniformSquared,
        RewardGreedy + o.RewardGreedy,
        RewardUniform + o.RewardUniform,
        RewardGreedySquared + o.RewardGreedySquared,
        RewardGreedyUniform + o.RewardGreedyUniform,
        RewardUniformSquared + o.RewardUniformSquared);

    /// <summary>The importance-weighted sums for the ε'-greedy target policy with <paramref name="epsilon"/>.</summary>
    public readonly WeightedRewardSums For(double epsilon)
    {
        if (!(epsilon >= 0 && epsilon <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be in [0, 1].");
        }

        var g = 1 - epsilon;
        var e = epsilon;
        var weightedRewards = (g * RewardGreedy) + (e * RewardUniform);
        var squaredWeightRewards = (g * g * RewardGreedySquared) + (2 * g * e * RewardGreedyUniform) + (e * e * RewardUniformSquared);
        return new WeightedRewardSums(
            Decisions,
            (g * Greedy) + (e * Uniform),
            (g * g * GreedySquared) + (2 * g * e * GreedyUniform) + (e * e * UniformSquared),
            weightedRewards,
            squaredWeightRewards,
            squaredWeightRewards);
    }

    private static (double A, double B) Terms(in SlotDecision decision)
    {
        if (!(decision.Propensity > 0 && decision.Propensity <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(decision), decision.Propensity, "A logged decision's propensity must be in (0, 1].");
        }

        return ((decision.Greedy ? 1 : 0) / decision.Propensity, decision.UniformShare / decision.Propensity);
    }
}

/// <summary>One candidate ε' and its estimated reward rate per slot decision.</summary>
public sealed record EpsilonGreedyEstimate(double Epsilon, WeightedEstimate Estimate);

/// <summary>Off-policy estimates from <see cref="SlotDecisionSums"/>: what ε'-greedy would have earned on the logged slots.</summary>
public static class EpsilonGreedyEvaluation
{
    /// <summary>IPS and self-normalised IPS for each candidate ε' (empty when nothing was logged).</summary>
    public static EpsilonGreedyEstimate[] Estimate(in SlotDecisionSums sums, ReadOnlySpan<double> epsilons, double confidenceLevel = 0.95)
    {
        if (sums.Decisions <= 0)
        {
            return [];
        }

        var result = new EpsilonGreedyEstimate[epsilons.Length];
        for (var i = 0; i < epsilons.Length; i++)
        {
            result[i] = new EpsilonGreedyEstimate(epsilons[i], WeightedEstimator.Estimate(sums.For(epsilons[i]), sums.Decisions, confidenceLevel));
        }

        return result;
    }

    /// <summary>The logging policy's own observed rate Σr / N on the logged slots, with its Wilson 95% interval (null when nothing was logged).</summary>
    public static Estimate? Observed(in SlotDecisionSums sums) => OutcomeIntervals.Wilson(sums.Rewards, sums.Decisions);
}
