using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>What training decided for one cohort, with its holdout evidence (NDCG on the cohort's holdout users).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortModelInfo")]
public sealed record CohortModelInfo(
    [property: Id(0)] int CohortId,
    [property: Id(1)] string Label,
    [property: Id(2)] int Users,
    [property: Id(3)] int HoldoutUsers,
    [property: Id(4)] bool Adapted,
    [property: Id(5)] double GlobalNdcg,
    [property: Id(6)] double AdaptedNdcg)
{
    /// <summary>The serving policy training proposes for the cohort (null in versions registered before policies were typed).</summary>
    [Id(7)] public Cohortly.Modeling.Training.ServingPolicy? Policy { get; init; }
}

/// <summary>One trained model version as the registry keeps it.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ModelVersionInfo")]
public sealed record ModelVersionInfo
{
    [Id(0)] public required long Version { get; init; }
    [Id(1)] public required DateTimeOffset TrainedAt { get; init; }
    [Id(2)] public required long Events { get; init; }
    [Id(3)] public required int Users { get; init; }
    [Id(4)] public required int Items { get; init; }
    [Id(5)] public required double HoldoutNdcgGlobal { get; init; }
    [Id(6)] public required double HoldoutNdcgCohort { get; init; }
    [Id(7)] public required IReadOnlyList<CohortModelInfo> Cohorts { get; init; }
    /// <summary>Size of the stored artifact.</summary>
    [Id(8)] public long Bytes { get; init; }
    /// <summary>Wall-clock seconds of the whole run (read, train, store).</summary>
    [Id(9)] public double TrainSeconds { get; init; }
}

/// <summary>The registry's versions (newest first) and the one silos serve.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ModelRegistryView")]
public sealed record ModelRegistryView(
    [property: Id(0)] long ActiveVersion,
    [property: Id(1)] IReadOnlyList<ModelVersionInfo> Versions);

[GenerateSerializer, Alias("cohortly.TrainingState")]
public enum TrainingState
{
    Idle = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
}

/// <summary>
/// The current or last training run. Percent and the remaining-time estimate come from the pipeline's own
/// progress reports; the estimate is null until the run has reported some progress.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.TrainingStatus")]
public sealed record TrainingStatus
{
    [Id(0)] public required TrainingState State { get; init; }
    [Id(1)] public string? RunId { get; init; }
    [Id(2)] public string? Stage { get; init; }
    [Id(3)] public double Percent { get; init; }
    [Id(4)] public double ElapsedSeconds { get; init; }
    [Id(5)] public double? EstimatedRemainingSeconds { get; init; }
    [Id(6)] public DateTimeOffset? StartedAt { get; init; }
    [Id(7)] public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Version produced by the last successful run (0: none yet).</summary>
    [Id(8)] public long LastVersion { get; init; }
    [Id(9)] public long ActiveVersion { get; init; }
    [Id(10)] public string? Error { get; init; }
    /// <summary>"manual" or "schedule".</summary>
    [Id(11)] public string? Trigger { get; init; }
    /// <summary>Log rows the run left out because they break the documented bounds (bad ids, type, value or time).</summary>
    [Id(12)] public long SkippedEvents { get; init; }
}

/// <summary>Activate was asked for a version the registry does not hold.</summary>
[GenerateSerializer, Alias("cohortly.UnknownModelVersionException")]
public sealed class UnknownModelVersionException : Exception
{
    public UnknownModelVersionException()
    {
    }

    public UnknownModelVersionException(string message)
        : base(message)
    {
    }

    public UnknownModelVersionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UnknownModelVersionException(long version)
        : base($"Model version {version} is not in the registry (it was never trained or has been pruned).")
    {
    }
}

/// <summary>Which model versions exist and which one the silos serve.</summary>
[Alias("cohortly.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithStringKey
{
    public const string Key = "registry";

    /// <summary>0 when nothing has been trained. Cheap: every silo polls it.</summary>
    [Alias("GetActiveVersion"), ReadOnly]
    Task<long> GetActiveVersion();

    [Alias("List"), ReadOnly]
    Task<ModelRegistryView> List();

    /// <summary>Records a stored version (not yet active); prunes the oldest beyond the kept count.</summary>
    [Alias("Register")]
    Task Register(ModelVersionInfo info);

    /// <summary>Makes a registered version the served one (promote or roll back); unknown: <see cref="UnknownModelVersionException"/>.</summary>
    [Alias("Activate")]
    Task<ModelVersionInfo> Activate(long version);
}

/// <summary>The training pipeline run: on a reminder schedule and on demand.</summary>
[Alias("cohortly.ITrainingGrain")]
public interface ITrainingGrain : IGrainWithStringKey
{
    public const string Key = "current";

    /// <summary>Starts a run and returns at once; a run in progress is shared (same run id).</summary>
    [Alias("Start")]
    Task<TrainingStatus> Start();

    [Alias("GetStatus"), ReadOnly]
    Task<TrainingStatus> GetStatus();

    /// <summary>
    /// Runs (or shares the queued) segmentation-only run of the silos' samples, after any run in progress, and
    /// returns the version it published. Interleaves: it only enqueues and waits.
    /// </summary>
    /// <exception cref="InsufficientDataException">Fewer than two users are sampled.</exception>
    [Alias("Resegment"), AlwaysInterleave, ResponseTimeout("00:30:00")]
    Task<SegmentationVersionInfo> Resegment(string trigger);

    /// <summary>
    /// The trigger of the segmentation grain's request for a cluster's first version: when the run starts and a version
    /// exists by then (a training run queued before it published one), it publishes nothing and returns that version.
    /// </summary>
    public const string FirstSegmentationTrigger = "first";
}
