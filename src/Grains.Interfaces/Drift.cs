using Cohortly.Modeling.Drift;
using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>What a drift detection does besides raising its alert (<c>Cohortly:Drift:Actions:*</c>).</summary>
[GenerateSerializer, Alias("cohortly.DriftAction")]
public enum DriftAction
{
    /// <summary>Only the alert.</summary>
    AlertOnly = 0,

    /// <summary>Queue a training run now (shared with one queued or running).</summary>
    Retrain = 1,

    /// <summary>Serve the cohort with the global weights until the next activated model version.</summary>
    ServeGlobal = 2,
}

/// <summary>How an action ended.</summary>
[GenerateSerializer, Alias("cohortly.DriftActionOutcome")]
public enum DriftActionOutcome
{
    /// <summary>Nothing to do (alert only).</summary>
    None = 0,

    Succeeded = 1,

    /// <summary>The action was tried and failed; <see cref="AlertActionRecord.Detail"/> holds the error.</summary>
    Failed = 2,

    /// <summary>The action does not apply to the detection (serving the global model needs a cohort).</summary>
    NotApplicable = 3,

    /// <summary>The training run is queued or running (<see cref="AlertActionRecord.RunId"/>); its result follows.</summary>
    Pending = 4,

    /// <summary>The training run finished and the promotion gate rejected its version; the active one keeps serving.</summary>
    Rejected = 5,
}

/// <summary>The action a detection triggered and how it ended, recorded in its alert.</summary>
/// <param name="Action">The configured action.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Detail">What happened (the training run queued, the cohort held on global weights) or the error.</param>
/// <param name="At">When it ended.</param>
[GenerateSerializer, Immutable, Alias("cohortly.AlertActionRecord")]
public sealed record AlertActionRecord(
    [property: Id(0)] DriftAction Action,
    [property: Id(1)] DriftActionOutcome Outcome,
    [property: Id(2)] string Detail,
    [property: Id(3)] DateTimeOffset At)
{
    /// <summary>The training run a retrain queued (or shared); null for other actions.</summary>
    [Id(4)] public string? RunId { get; init; }

    /// <summary>How that run ended; null while it is queued or running.</summary>
    [Id(5)] public TrainingRunOutcome? Run { get; init; }

    /// <summary>
    /// This retrain with its run's result: promoted → succeeded, rejected by the gate → rejected, failed → failed, the
    /// detail saying which version and why. Unchanged when it is not waiting for <paramref name="run"/>.
    /// </summary>
    public AlertActionRecord Resolve(TrainingRunOutcome run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (Run is not null || !string.Equals(RunId, run.RunId, StringComparison.Ordinal))
        {
            return this;
        }

        var (outcome, detail) = run.Result switch
        {
            TrainingRunResult.Promoted => (DriftActionOutcome.Succeeded, $"training run {run.RunId} promoted model version {run.Version}: {run.Reason}"),
            TrainingRunResult.Rejected => (DriftActionOutcome.Rejected, $"training run {run.RunId}: the promotion gate rejected model version {run.Version}, the active version keeps serving: {run.Reason}"),
            _ => (DriftActionOutcome.Failed, $"training run {run.RunId} failed: {run.Reason}"),
        };
        return this with { Outcome = outcome, Detail = detail, At = run.FinishedAt, Run = run };
    }
}

/// <summary>One detection of a monitor pass and, unless its cooldown held it back, its alert.</summary>
/// <param name="Source">The detector ("drift-reward-rate", "drift-feature-psi", "drift-cohort-share", "drift-fallback-share").</param>
/// <param name="CohortId">The cohort (null: the whole population).</param>
/// <param name="Alert">The alert raised, with the action's record; null when the cooldown suppressed it.</param>
/// <param name="Suppressed">True when a detection of the same detector and cohort fired within the cooldown.</param>
[GenerateSerializer, Immutable, Alias("cohortly.DriftCheckDetection")]
public sealed record DriftCheckDetection(
    [property: Id(0)] string Source,
    [property: Id(1)] int? CohortId,
    [property: Id(2)] string Statistic,
    [property: Id(3)] double Value,
    [property: Id(4)] double Threshold,
    [property: Id(5)] Alert? Alert,
    [property: Id(6)] bool Suppressed);

/// <summary>What one monitor pass read and found.</summary>
/// <param name="At">When the pass ran.</param>
/// <param name="MinutesRead">Complete outcome minutes fed to the rate detectors in this pass.</param>
/// <param name="Through">Every minute before this has been fed.</param>
/// <param name="LiveSample">Users in the live feature sample checked (0: the population check did not run).</param>
/// <param name="SegmentationVersion">The version the population was compared with (0: none).</param>
[GenerateSerializer, Immutable, Alias("cohortly.DriftCheckReport")]
public sealed record DriftCheckReport(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] int MinutesRead,
    [property: Id(2)] DateTimeOffset Through,
    [property: Id(3)] int LiveSample,
    [property: Id(4)] long SegmentationVersion,
    [property: Id(5)] IReadOnlyList<DriftCheckDetection> Detections);

/// <summary>
/// Runs the drift detectors (one grain, key 0) on a reminder (<c>Cohortly:Drift:Interval</c>): reads the outcome grains'
/// new complete minutes and the segmentation grain's live sample, raises an alert per detection (cooldown per detector
/// and cohort) and runs the detector's configured action.
/// </summary>
[Alias("cohortly.IDriftMonitorGrain")]
public interface IDriftMonitorGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    /// <summary>Registers the schedule (when <c>Cohortly:Drift:Enabled</c>); idempotent.</summary>
    [Alias("EnsureScheduled")]
    Task EnsureScheduled();

    /// <summary>One monitor pass now (the reminder's work; tests and operators can ask for one).</summary>
    [Alias("Check")]
    Task<DriftCheckReport> Check();

    /// <summary>
    /// The per-pass statistic history (bounded, in memory; see architecture.md "Drift"): the series matching every
    /// given filter (null: any), points at or after <c>since</c>.
    /// </summary>
    [Alias("GetHistory")]
    Task<IReadOnlyList<DriftSeriesView>> GetHistory(DriftHistoryQuery query);
}

/// <summary>Which series of the drift history to read: detector source ("drift-feature-psi"), cohort, feature, since (null: any).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.DriftHistoryQuery")]
public sealed record DriftHistoryQuery(
    [property: Id(0)] string? Source,
    [property: Id(1)] int? CohortId,
    [property: Id(2)] string? Feature,
    [property: Id(3)] DateTimeOffset? Since);

/// <summary>One point of a drift statistic's history: when the pass measured it, the value, the threshold it is held against.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.DriftPointView")]
public sealed record DriftPointView(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double Value,
    [property: Id(2)] double Threshold);

/// <summary>
/// One statistic's history: the detector (alert source), the cohort (null: all users), the feature (feature PSI only),
/// what the value is, and its points oldest first.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.DriftSeriesView")]
public sealed record DriftSeriesView(
    [property: Id(0)] string Source,
    [property: Id(1)] int? CohortId,
    [property: Id(2)] string? Feature,
    [property: Id(3)] string Statistic,
    [property: Id(4)] IReadOnlyList<DriftPointView> Points);

[GenerateSerializer, Alias("cohortly.FeatureBinsSurrogate")]
public struct FeatureBinsSurrogate
{
    [Id(0)] public string Name;
    [Id(1)] public double[] Edges;
    [Id(2)] public double[] Counts;
}

[RegisterConverter]
public sealed class FeatureBinsConverter : IConverter<FeatureBins, FeatureBinsSurrogate>
{
    public FeatureBins ConvertFromSurrogate(in FeatureBinsSurrogate surrogate) =>
        new(surrogate.Name ?? string.Empty, surrogate.Edges ?? [], surrogate.Counts ?? [1]);

    public FeatureBinsSurrogate ConvertToSurrogate(in FeatureBins value) => new() { Name = value.Name, Edges = value.Edges, Counts = value.Counts };
}
