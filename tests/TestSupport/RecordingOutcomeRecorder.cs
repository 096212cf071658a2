using Cohortly.Modeling.Outcomes;

namespace Cohortly.TestSupport;

/// <summary>An <see cref="IOutcomeRecorder"/> that keeps every record, for tests to assert what was counted where.</summary>
public sealed class RecordingOutcomeRecorder : IOutcomeRecorder
{
    private readonly List<(OutcomeKey Key, OutcomeCounts Delta, DateTimeOffset At)> _records = [];

    /// <summary>A copy of everything recorded so far, in order.</summary>
    public IReadOnlyList<(OutcomeKey Key, OutcomeCounts Delta, DateTimeOffset At)> Records
    {
        get
        {
            lock (_records)
            {
                return [.. _records];
            }
        }
    }

    public void Record(in OutcomeKey key, in OutcomeCounts delta, DateTimeOffset at)
    {
        lock (_records)
        {
            _records.Add((key, delta, at));
        }
    }

    /// <summary>The sum of every delta recorded under <paramref name="key"/>.</summary>
    public OutcomeCounts Total(OutcomeKey key)
    {
        var total = default(OutcomeCounts);
        foreach (var (k, delta, _) in Records)
        {
            if (k == key)
            {
                total = total.Plus(delta);
            }
        }

        return total;
    }

    /// <summary>The sum of every delta recorded under a key that satisfies <paramref name="match"/>.</summary>
    public OutcomeCounts Total(Func<OutcomeKey, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        var total = default(OutcomeCounts);
        foreach (var (k, delta, _) in Records)
        {
            if (match(k))
            {
                total = total.Plus(delta);
            }
        }

        return total;
    }

    public void Clear()
    {
        lock (_records)
        {
            _records.Clear();
        }
    }
}
