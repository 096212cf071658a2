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

    /// <summary>Unknown: registered before statuses were recorded.</summary>
    [Id(10)] public ModelStatus Status { get; init; }

    /// <summary>Why the version has its status (the gate's verdict, who activated it, what replaced it).</summary>
    [Id(11)] public string? StatusReason { get; init; }

    [Id(12)] public DateTimeOffset? StatusChangedAt { get; init; }

    /// <summary>The promotion gate's comparison with the version active when this one was trained (null: none was).</summary>
    [Id(13)] public PromotionReport? Promotion { get; init; }

    /// <summary>True when it was last activated by hand over the gate's rejection.</summary>
    [Id(14)] public bool Forced { get; init; }

    /// <summary>The learned ranker against the blend per cohort (null: registered before rankers were trained).</summary>
    [Id(30)] public RankerInfo? Ranker { get; init; }

    /// <summary>The purchase model's holdout metrics (null: registered before purchase models were trained).</summary>
    [Id(31)] public PurchaseModelInfo? Purchase { get; init; }

    /// <summary>What the run's self-tuning chose and on what evidence (null: registered before training tuned itself).</summary>
    [Id(32)] public TuningInfo? Tuning { get; init; }
}

/// <summary>Where a model version stands.</summary>
[GenerateSerializer, Alias("cohortly.ModelStatus")]
public enum ModelStatus
{
    Unknown = 0,

    /// <summary>Registered, not decided yet.</summary>
    Candidate = 1,

    /// <summary>The version the silos serve.</summary>
    Active = 2,

    /// <summary>The promotion gate found it worse than the active version; never served unless forced.</summary>
    Rejected = 3,

    /// <summary>Was active, replaced since.</summary>
    Retired = 4,
}

/// <summary>One cohort in the promotion comparison; not gated when too few of its users were comparable or it serves global weights.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.PromotionCohort")]
public sealed record PromotionCohort(
    [property: Id(0)] int CohortId,
    [property: Id(1)] int Users,
    [property: Id(2)] double CandidateNdcg,
    [property: Id(3)] double ActiveNdcg,
    [property: Id(4)] bool Gated,
    [property: Id(5)] bool Passed);

/// <summary>The promotion gate's comparison of a candidate with the then active version on the same holdout users.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.PromotionReport")]
public sealed record PromotionReport(
    [property: Id(0)] long ComparedWith,
    [property: Id(1)] bool Passed,
    [property: Id(2)] string Reason,
    [property: Id(3)] int Users,
    [property: Id(4)] double CandidateNdcg,
    [property: Id(5)] double ActiveNdcg,
    [property: Id(6)] IReadOnlyList<PromotionCohort> Cohorts)
{
    public static PromotionReport From(Modeling.Training.PromotionDecision decision, long comparedWith)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var cohorts = new List<PromotionCohort>(decision.Cohorts.Count);
        foreach (var c in decision.Cohorts)
        {
            cohorts.Add(new PromotionCohort(c.CohortId, c.Users, c.CandidateNdcg, c.ActiveNdcg, c.Gated, c.Passed));
        }

        return new PromotionReport(comparedWith, decision.Promote, decision.Reason, decision.Users, decision.CandidateNdcg, decision.ActiveNdcg, cohorts);
    }
}

/// <summary>What one silo's model cache last did: the version it holds, and the last version it failed to load (with why).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.SiloModelLoad")]
public sealed record SiloModelLoad(
    [property: Id(0)] string Silo,
    [property: Id(1)] long LoadedVersion,
    [property: Id(2)] long FailedVersion,
    [property: Id(3)] string? Error,
    [property: Id(4)] DateTimeOffset At);

/// <summary>One load attempt of a silo's model cache, reported when it finishes or fails (never per request).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ModelLoadReport")]
public sealed record ModelLoadReport(
    [property: Id(0)] string Silo,
    [property: Id(1)] long Version,
    [property: Id(2)] bool Loaded,
    [property: Id(3)] string? Error,
    [property: Id(4)] DateTimeOffset At);

/// <summary>A registry activation: the version, why, whether it overrides the gate, and cohorts it has no weights for.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ModelActivationRequest")]
public sealed record ModelActivationRequest(
    [property: Id(0)] long Version,
    [property: Id(1)] string Reason,
    [property: Id(2)] bool Forced,
    [property: Id(3)] IReadOnlyList<int> OtherCohorts);

/// <summary>The result of activating a version: the version as registered now and the segmentation version serving with it.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ModelActivation")]
public sealed record ModelActivation(
    [property: Id(0)] ModelVersionInfo Model,
    [property: Id(1)] long SegmentationVersion,
    [property: Id(2)] bool SegmentationRestored);

/// <summary>The registry's versions (newest first) and the one silos serve.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ModelRegistryView")]
public sealed record ModelRegistryView(
    [property: Id(0)] long ActiveVersion,
    [property: Id(1)] IReadOnlyList<ModelVersionInfo> Versions)
{
    /// <summary>Each silo that reported a model load: the version it holds and its last failure.</summary>
    [Id(2)] public IReadOnlyList<SiloModelLoad> Silos { get; init; } = [];
}

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

    /// <summary>The promotion gate's verdict on the last run's version (null when the run produced none).</summary>
    [Id(13)] public string? Promotion { get; init; }

    /// <summary>False when the last run's version was rejected by the gate (the active version kept serving).</summary>
    [Id(14)] public bool Promoted { get; init; }
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

    /// <summary>Records a stored version (a candidate until decided); prunes the oldest beyond the kept count.</summary>
    [Alias("Register")]
    Task Register(ModelVersionInfo info);

    /// <summary>
    /// Makes a registered version the served one and hands each cohort its serving state. Called by the training grain
    /// only, after it has published the version's segmentation (use <see cref="ITrainingGrain.Activate"/>); unknown:
    /// <see cref="UnknownModelVersionException"/>.
    /// </summary>
    [Alias("ActivateVersion")]
    Task<ModelVersionInfo> Activate(ModelActivationRequest request);

    /// <summary>Records the promotion gate's rejection of a candidate; the active version keeps serving.</summary>
    [Alias("Reject")]
    Task<ModelVersionInfo> Reject(long version, string reason);

    /// <summary>A silo's model cache finished or failed a load.</summary>
    [Alias("ReportLoad")]
    Task ReportLoad(ModelLoadReport report);
}

/// <summary>Manual activation of a version the promotion gate rejected, without force.</summary>
[GenerateSerializer, Alias("cohortly.ModelRejectedException")]
public sealed class ModelRejectedException : Exception
{
    public ModelRejectedException()
    {
    }

    public ModelRejectedException(string message)
        : base(message)
    {
    }

    public ModelRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
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

    /// <summary>
    /// Activates a registered version (promotion or rollback) as one step in the run queue: the segmentation it was
    /// trained with becomes current again (republished under a new segmentation version when another is current), then
    /// the registry switches and every cohort adopts the version's serving state. A version the gate rejected needs
    /// <paramref name="force"/> (<see cref="ModelRejectedException"/>); unknown: <see cref="UnknownModelVersionException"/>.
    /// </summary>
    [Alias("Activate"), AlwaysInterleave, ResponseTimeout("00:30:00")]
    Task<ModelActivation> Activate(long version, bool force);
}
