using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Training;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cohortly.Grains.Users;

/// <summary>
/// Everything a user grain needs from its silo, in one per-silo object. A grain that captured each service
/// in its own constructor parameter carried a field per service per activation (8 bytes each, ~100 bytes a
/// user with 100k resident users); the activations now share one reference to this bundle.
/// </summary>
public sealed class UserGrainServices(
    CatalogCache catalog,
    SegmentationCache segmentation,
    CohortSnapshotCache cohorts,
    ExperimentCache experiments,
    ModelCache models,
    IInteractionLog log,
    TrainingOptions training,
    ActivityAggregator activity,
    UserGrainSettings settings,
    CohortlyMetrics metrics,
    IngestionBacklog backlog,
    TimeProvider time,
    ILogger<UserGrain> logger,
    IOutcomeRecorder outcomes,
    RulesCache rules,
    UserPseudonyms pseudonyms,
    LocalUsers local,
    [FromKeyedServices(StreamNames.Provider)] RedisStreamCheckpoint? checkpoint = null)
{
    /// <summary>The log's consumer side in cluster mode (acknowledge, catch up); null on memory streams.</summary>
    public RedisStreamCheckpoint? Checkpoint { get; } = checkpoint;

    public CatalogCache Catalog { get; } = catalog;

    public SegmentationCache Segmentation { get; } = segmentation;

    public CohortSnapshotCache Cohorts { get; } = cohorts;

    /// <summary>The running experiments: which variant serves a user, without a grain call.</summary>
    public ExperimentCache Experiments { get; } = experiments;

    public ModelCache Models { get; } = models;

    public IInteractionLog Log { get; } = log;

    public TrainingOptions Training { get; } = training;

    public ActivityAggregator Activity { get; } = activity;

    public UserGrainSettings Settings { get; } = settings;

    public CohortlyMetrics Metrics { get; } = metrics;

    public IngestionBacklog Backlog { get; } = backlog;

    public TimeProvider Time { get; } = time;

    public ILogger<UserGrain> Logger { get; } = logger;

    /// <summary>What stands for the user id in log messages, traces and metric tags.</summary>
    public UserPseudonyms Pseudonyms { get; } = pseudonyms;

    /// <summary>Where served responses and attributed events are counted (per-silo, pre-aggregated).</summary>
    public IOutcomeRecorder Outcomes { get; } = outcomes;

    /// <summary>The user grains active on this silo, for reads answered without a message (<see cref="UserServingGrain"/>).</summary>
    public LocalUsers Local { get; } = local;

    /// <summary>The merchandising rules, compiled per version (per-silo, no grain call per request).</summary>
    public RulesCache Rules { get; } = rules;
}
