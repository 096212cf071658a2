using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>
/// Something an operator should know: which detector raised it (<see cref="Source"/>, e.g. "experiment-guardrail",
/// a drift detector), about which cohort (null: not cohort-specific), on which statistic, its value against the
/// threshold, and a sentence.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.AlertInput")]
public sealed record AlertInput(
    [property: Id(0)] string Source,
    [property: Id(1)] int? CohortId,
    [property: Id(2)] string Statistic,
    [property: Id(3)] double Value,
    [property: Id(4)] double Threshold,
    [property: Id(5)] string Message)
{
    /// <summary>The action the detection triggered and its outcome (drift detectors; null for alerts that act by themselves).</summary>
    [Id(6)] public AlertActionRecord? Action { get; init; }
}

/// <summary>A raised alert: its input, a sequence number and when it was raised.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.Alert")]
public sealed record Alert(
    [property: Id(0)] long Sequence,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] AlertInput Input);

/// <summary>The alert history (one grain, key 0; durable, bounded to the newest <c>Cohortly:Alerts:History</c>).</summary>
[Alias("cohortly.IAlertGrain")]
public interface IAlertGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Raise")]
    Task<Alert> Raise(AlertInput alert);

    /// <summary>
    /// A training run finished: every alert whose action waits on that run records its result, and the result is kept
    /// (the newest few) for an alert raised after its run already ended.
    /// </summary>
    [Alias("RecordRunOutcome")]
    Task RecordRunOutcome(TrainingRunOutcome outcome);

    /// <summary>Newest first, at most <paramref name="limit"/>, optionally of one cohort or one source.</summary>
    [Alias("List"), ReadOnly]
    Task<IReadOnlyList<Alert>> List(int limit, int? cohortId, string? source);
}

/// <summary>The one way to raise an alert from anywhere in the cluster (experiments, drift detectors).</summary>
public static class Alerts
{
    public static Task<Alert> RaiseAlert(this IGrainFactory grains, AlertInput alert)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IAlertGrain>(IAlertGrain.Key).Raise(alert);
    }
}
