using Cohortly.Modeling.Outcomes;

namespace Cohortly.Grains.Users;

/// <summary>Drops outcomes: stands in until the per-silo outcome aggregator is registered.</summary>
public sealed class DiscardOutcomeRecorder : IOutcomeRecorder
{
    public void Record(in OutcomeKey key, in OutcomeCounts delta, DateTimeOffset at)
    {
    }
}
