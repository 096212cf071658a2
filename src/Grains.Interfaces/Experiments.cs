using System.Text.Json;
using System.Text.Json.Serialization;
using Cohortly.Modeling.Experiments;
using Orleans.Concurrency;

namespace Cohortly.Contracts;

[GenerateSerializer, Alias("cohortly.ExperimentStatus")]
public enum ExperimentStatus
{
    Running = 0,
    Stopped = 1,
}

/// <summary>A cohort the guardrail returned to the baseline: from <see cref="At"/> on it is served the baseline and not counted.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortReturn")]
public sealed record CohortReturn(
    [property: Id(0)] int CohortId,
    [property: Id(1)] string Variant,
    [property: Id(2)] ExperimentMetric Metric,
    [property: Id(3)] double PValue,
    [property: Id(4)] DateTimeOffset At);

/// <summary>A cohort's bandit splits, oldest first (the cache serves the latest that has started).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortAllocation")]
public sealed record CohortAllocation(
    [property: Id(0)] int CohortId,
    [property: Id(1)] IReadOnlyList<AllocationStep> Steps);

[GenerateSerializer, Immutable, Alias("cohortly.ExperimentInfo")]
public sealed record ExperimentInfo(
    [property: Id(0)] ExperimentPlan Plan,
    [property: Id(1)] ExperimentStatus Status,
    [property: Id(2)] DateTimeOffset Created,
    [property: Id(3)] DateTimeOffset? Stopped,
    [property: Id(4)] IReadOnlyList<CohortReturn> Returned,
    [property: Id(5)] IReadOnlyList<CohortAllocation> Allocations)
{
    public string Id => Plan.Definition.Id;
}

/// <summary>Create's answer: the experiment, or why it conflicts with another (field and message).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ExperimentCreation")]
public sealed record ExperimentCreation(
    [property: Id(0)] ExperimentInfo? Created,
    [property: Id(1)] string? ConflictField = null,
    [property: Id(2)] string? Conflict = null);

/// <summary>A bandit experiment's cohort: inverse-propensity estimates per variant and the split in effect.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.BanditCohortResult")]
public sealed record BanditCohortResult(
    [property: Id(0)] int CohortId,
    [property: Id(1)] IReadOnlyList<BanditArmEstimate> Arms,
    [property: Id(2)] double[] Allocation);

/// <summary>
/// An experiment read now: the fixed-split report (per cohort, pooled, guardrail actions), or for a bandit the
/// weighted estimates per cohort. <see cref="From"/>..<see cref="To"/> is the outcome range read, at <see cref="Granularity"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.ExperimentResults")]
public sealed record ExperimentResults(
    [property: Id(0)] ExperimentInfo Experiment,
    [property: Id(1)] DateTimeOffset EvaluatedAt,
    [property: Id(2)] DateTimeOffset From,
    [property: Id(3)] DateTimeOffset To,
    [property: Id(4)] Modeling.Outcomes.OutcomeGranularity Granularity,
    [property: Id(5)] ExperimentReport? Report,
    [property: Id(6)] IReadOnlyList<BanditCohortResult>? Bandit);

/// <summary>What silos serve: the running experiments with their returned cohorts and bandit splits.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ExperimentSnapshot")]
public sealed record ExperimentSnapshot(
    [property: Id(0)] long Version,
    [property: Id(1)] IReadOnlyList<ExperimentInfo> Running);

/// <summary>
/// The experiments (one grain, key 0; durable). Off the hot path: silos poll its version and serve from their
/// <c>ExperimentCache</c>. Evaluates running experiments on a timer: guardrail returns, bandit splits, alerts.
/// </summary>
[Alias("cohortly.IExperimentRegistryGrain")]
public interface IExperimentRegistryGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    /// <summary>Starts an experiment; a name in use or a cohort already in a running experiment is a conflict.</summary>
    [Alias("Create")]
    Task<ExperimentCreation> Create(ExperimentPlan plan);

    [Alias("List"), ReadOnly]
    Task<IReadOnlyList<ExperimentInfo>> List();

    [Alias("Get"), ReadOnly]
    Task<ExperimentInfo?> Get(string id);

    /// <summary>Stops serving the experiment (its results stay readable); null when unknown.</summary>
    [Alias("Stop")]
    Task<ExperimentInfo?> Stop(string id);

    /// <summary>Reads the experiment's outcomes now and analyzes them (also applying guardrail returns); null when unknown.</summary>
    [Alias("Results")]
    Task<ExperimentResults?> Results(string id);

    /// <summary>Evaluates every running experiment now (what the timer does).</summary>
    [Alias("Evaluate")]
    Task Evaluate();

    [Alias("GetVersion"), ReadOnly]
    Task<long> GetVersion();

    [Alias("GetSnapshot"), ReadOnly]
    Task<ExperimentSnapshot> GetSnapshot();
}

// The plan, report and bandit records are Orleans-free (src/Modeling/Experiments, with results from
// src/Modeling/Statistics). Rather than a surrogate mirroring each of their ~15 nested records, each top-level type
// crosses grain calls as its System.Text.Json form (the same form grain storage and the HTTP API use). Converters
// here are discovered with the contracts, so every client and silo has them without extra registration.

[GenerateSerializer, Alias("cohortly.ExperimentJson")]
public struct ExperimentJson
{
    [Id(0)] public string Json;
}

public abstract class ExperimentJsonConverter<T> : IConverter<T, ExperimentJson>
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        // A statistic may be infinite (a log-likelihood ratio without variance); the wire must carry it.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public T ConvertFromSurrogate(in ExperimentJson surrogate) => JsonSerializer.Deserialize<T>(surrogate.Json, Options)!;

    public ExperimentJson ConvertToSurrogate(in T value) => new() { Json = JsonSerializer.Serialize(value, Options) };
}

[RegisterConverter]
public sealed class ExperimentPlanConverter : ExperimentJsonConverter<ExperimentPlan>;

[RegisterConverter]
public sealed class ExperimentReportConverter : ExperimentJsonConverter<ExperimentReport>;

[RegisterConverter]
public sealed class BanditArmEstimateConverter : ExperimentJsonConverter<BanditArmEstimate>;

[RegisterConverter]
public sealed class AllocationStepConverter : ExperimentJsonConverter<AllocationStep>;

[RegisterConverter]
public sealed class ExperimentMetricConverter : ExperimentJsonConverter<ExperimentMetric>;
