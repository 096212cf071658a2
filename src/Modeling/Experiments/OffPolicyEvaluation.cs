namespace Cohortly.Modeling.Experiments;

/// <summary>One logged decision.</summary>
/// <param name="CohortId">Context: the user's cohort.</param>
/// <param name="Action">What the logging policy served.</param>
/// <param name="LoggingPropensity">Probability the logging policy had of serving it, in (0, 1].</param>
/// <param name="TargetProbability">Probability the candidate policy would serve it in the same context, in [0, 1].</param>
/// <param name="Reward">Observed reward (1/0 for a click).</param>
public readonly record struct LoggedDecision(int CohortId, string Action, double LoggingPropensity, double TargetProbability, double Reward);

/// <summary>A candidate policy's estimated reward (e.g. CTR) in one cohort.</summary>
public sealed record PolicyEstimate(int CohortId, WeightedEstimate Estimate);

/// <summary>
/// Off-policy evaluation of a candidate policy from logs of another (Horvitz–Thompson IPS and self-normalised IPS,
/// weights π_target(a|x) / π_logging(a|x)). Needs logging propensities bounded away from 0 where the target acts;
/// the effective sample size shows how much of the log the candidate can actually use.
/// </summary>
public static class OffPolicyEvaluation
{
    public static PolicyEstimate[] EstimatePerCohort(IReadOnlyList<LoggedDecision> log, double confidenceLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(log);
        var sums = new SortedDictionary<int, WeightedRewardSums>();
        for (var i = 0; i < log.Count; i++)
        {
            var d = log[i];
            if (!(d.LoggingPropensity > 0 && d.LoggingPropensity <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(log), d.LoggingPropensity, $"Decision {i}: logging propensity must be in (0, 1].");
            }

            if (!(d.TargetProbability >= 0 && d.TargetProbability <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(log), d.TargetProbability, $"Decision {i}: target probability must be in [0, 1].");
            }

            sums.TryGetValue(d.CohortId, out var s);
            sums[d.CohortId] = s.Add(d.TargetProbability / d.LoggingPropensity, d.Reward);
        }

        var result = new PolicyEstimate[sums.Count];
        var j = 0;
        foreach (var (cohort, s) in sums)
        {
            result[j++] = new PolicyEstimate(cohort, WeightedEstimator.Estimate(s, s.Count, confidenceLevel));
        }

        return result;
    }
}
