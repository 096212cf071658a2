using System.Diagnostics;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Training;

public sealed class TrainingGrainState
{
    /// <summary>How the last finished run ended (shown after a restart until the next run).</summary>
    public TrainingStatus? Last { get; set; }
}

/// <summary>
/// Runs the training pipeline on a reminder schedule and on demand: log + catalog + attributes + previous
/// segmentation → <see cref="IModelTrainer"/> on the thread pool → artifact in the <see cref="IModelStore"/> →
/// registry (register, activate) → the bundle's segmentation published as the current version. A failed run
/// leaves the active version alone and reports why. Version numbers exceed both the registry's and the
/// segmentation's, so model and segmentation versions stay one sequence.
/// </summary>
public sealed partial class TrainingGrain(
    [PersistentState("training", StreamNames.Storage)] IPersistentState<TrainingGrainState> state,
    IInteractionLog log,
    IModelStore store,
    IModelTrainer trainer,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<TrainingGrain> logger) : Grain, ITrainingGrain, IRemindable
{
    private const string ReminderName = "train";
    private const double ReadShare = 0.05;
    private const double PipelineShare = 0.85;

    private readonly CancellationTokenSource _deactivating = new();
    private Task? _running;
    private RunProgress? _progress;
    private string? _runId;
    private string? _trigger;
    private DateTimeOffset _startedAt;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var period = options.Value.Training.Interval;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _deactivating.CancelAsync();
        if (_running is { } run)
        {
            await run.WaitAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    public async Task<TrainingStatus> Start()
    {
        StartRun("manual");
        return await GetStatus();
    }

    public async Task<TrainingStatus> GetStatus()
    {
        var active = await GrainFactory.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).GetActiveVersion();
        return Current() with { ActiveVersion = active };
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName)
        {
            StartRun("schedule");
        }

        return Task.CompletedTask;
    }

    private void StartRun(string trigger)
    {
        // A run in progress is shared: a second request gets its status (same run id).
        if (_running is not { IsCompleted: false })
        {
            _runId = Guid.NewGuid().ToString("N")[..12];
            _trigger = trigger;
            _startedAt = time.GetUtcNow();
            _progress = new RunProgress();
            // Training can outlast the idle-collection age; keep the activation (and its run) alive.
            DelayDeactivation(TimeSpan.FromHours(6));
            _running = Run(_runId, _progress, _deactivating.Token);
        }
    }

    private TrainingStatus Current()
    {
        var last = state.State.Last;
        if (_running is not { IsCompleted: false } || _progress is null)
        {
            return last ?? new TrainingStatus { State = TrainingState.Idle };
        }

        var (stage, fraction) = _progress.Snapshot();
        var elapsed = (time.GetUtcNow() - _startedAt).TotalSeconds;
        return new TrainingStatus
        {
            State = TrainingState.Running,
            RunId = _runId,
            Trigger = _trigger,
            Stage = stage,
            Percent = Math.Round(100 * fraction, 1),
            ElapsedSeconds = elapsed,
            EstimatedRemainingSeconds = fraction > 0.01 ? elapsed * (1 - fraction) / fraction : null,
            StartedAt = _startedAt,
            LastVersion = last?.LastVersion ?? 0,
        };
    }

    private async Task Run(string runId, RunProgress progress, CancellationToken cancellationToken)
    {
        // Yield first so Start returns the "running" status before any work happens.
        await Task.Yield();
        var stopwatch = Stopwatch.StartNew();
        var last = state.State.Last;
        TrainingStatus final;
        try
        {
            var (version, skipped) = await Train(progress, stopwatch, cancellationToken);
            final = new TrainingStatus
            {
                State = TrainingState.Succeeded,
                Stage = "done",
                Percent = 100,
                LastVersion = version,
                SkippedEvents = skipped,
            };
            LogSucceeded(logger, runId, version, stopwatch.Elapsed.TotalSeconds);
        }
        catch (Exception ex)
        {
            final = new TrainingStatus
            {
                State = TrainingState.Failed,
                Stage = progress.Snapshot().Stage,
                Percent = Math.Round(100 * progress.Snapshot().Fraction, 1),
                LastVersion = last?.LastVersion ?? 0,
                Error = ex.Message,
            };
            LogFailed(logger, runId, ex);
        }

        state.State.Last = final with
        {
            RunId = runId,
            Trigger = _trigger,
            StartedAt = _startedAt,
            FinishedAt = time.GetUtcNow(),
            ElapsedSeconds = stopwatch.Elapsed.TotalSeconds,
        };
        try
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogStateWriteFailed(logger, ex);
        }
    }

    private async Task<(long Version, long Skipped)> Train(RunProgress progress, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settings = options.Value.Training;
        progress.Set("reading log", 0);
        var since = now - settings.Retention;
        // File parsing and stream reads are CPU and I/O work: off the grain scheduler.
        var snapshot = await Task.Run(() => log.ReadAsync(since, cancellationToken), cancellationToken);
        if (snapshot.Events.Count == 0)
        {
            throw new InsufficientDataException($"The training log has no events from the last {settings.Retention.TotalDays:0.##} days.");
        }

        var catalog = await GrainFactory.GetGrain<ICatalogGrain>(ICatalogGrain.Key).GetSnapshot();
        var items = new List<ItemInfo>(catalog.Items.Count);
        foreach (var item in catalog.Items)
        {
            items.Add(new ItemInfo(item.Id, item.Categories, item.Price, item.Available));
        }

        var segmentation = GrainFactory.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var previous = await segmentation.GetCurrent();
        var registry = GrainFactory.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);
        var known = await registry.List();
        var version = Math.Max(previous?.Version ?? 0, known.Versions.Count == 0 ? 0 : known.Versions[0].Version) + 1;
        progress.Set("training", ReadShare);

        var input = new TrainingInput(snapshot.Events, items, snapshot.Attributes, previous is null ? null : SegmentationCache.ToModel(previous), version, now);
        var scaled = new ScaledProgress(progress, ReadShare, PipelineShare);
        var (bundle, bytes) = await Task.Run(
            () =>
            {
                var b = trainer.Train(input, scaled, cancellationToken);
                progress.Set("serializing", ReadShare + PipelineShare);
                return (b, b.ToBytes());
            },
            cancellationToken);

        progress.Set("storing", 0.93);
        await store.SaveAsync(version, bytes, cancellationToken);
        await registry.Register(ToInfo(bundle, version, bytes.Length, stopwatch.Elapsed.TotalSeconds));

        progress.Set("publishing", 0.96);
        if (bundle.Segmentation.Version > (previous?.Version ?? 0))
        {
            await segmentation.Publish(ToSegmentation(bundle, stopwatch.Elapsed.TotalSeconds, now));
        }

        await registry.Activate(version);
        return (version, bundle.Summary.SkippedEvents);
    }

    private static ModelVersionInfo ToInfo(ModelBundle bundle, long version, long bytes, double seconds)
    {
        var cohorts = new List<CohortModelInfo>(bundle.Cohorts.Count);
        foreach (var c in bundle.Cohorts)
        {
            cohorts.Add(new CohortModelInfo(c.CohortId, c.Label, c.TrainingUsers, c.HoldoutUsers, c.Adapted, c.GlobalNdcg, c.AdaptedNdcg) { Policy = bundle.PolicyOf(c.CohortId) });
        }

        var summary = bundle.Summary;
        return new ModelVersionInfo
        {
            Version = version,
            TrainedAt = bundle.TrainedAt,
            Events = summary.Events,
            Users = summary.Users,
            Items = summary.Items,
            HoldoutNdcgGlobal = summary.HoldoutNdcgGlobal,
            HoldoutNdcgCohort = summary.HoldoutNdcgCohort,
            Cohorts = cohorts,
            Bytes = bytes,
            TrainSeconds = seconds,
        };
    }

    private static SegmentationVersionInfo ToSegmentation(ModelBundle bundle, double seconds, DateTimeOffset now)
    {
        var model = bundle.Segmentation;
        var counts = new int[model.CohortIds.Count];
        var users = 0;
        foreach (var report in bundle.Cohorts)
        {
            var index = IndexOf(model.CohortIds, report.CohortId);
            if (index >= 0)
            {
                // Holdout users are a subset of the cohort's users, not extra ones.
                counts[index] = report.TrainingUsers;
                users += counts[index];
            }
        }

        return new SegmentationVersionInfo
        {
            Version = model.Version,
            CreatedAt = now,
            FeatureNames = model.FeatureNames,
            Means = model.Scaler.Means,
            Scales = model.Scaler.Scales,
            Centroids = model.Centroids,
            CohortIds = model.CohortIds,
            Labels = model.Labels,
            SampleSize = users > 0 ? users : bundle.Summary.Users,
            TrainSeconds = seconds,
            SampleCounts = counts,
        };
    }

    private static int IndexOf(IReadOnlyList<int> ids, int id)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == id)
            {
                return i;
            }
        }

        return -1;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training run {RunId} produced model version {Version} in {Seconds:F1} s")]
    private static partial void LogSucceeded(ILogger logger, string runId, long version, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training run {RunId} failed; the active model version is unchanged")]
    private static partial void LogFailed(ILogger logger, string runId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Persisting the training status failed")]
    private static partial void LogStateWriteFailed(ILogger logger, Exception exception);

    /// <summary>Stage and overall fraction, written from the pipeline's thread and read by status calls.</summary>
    private sealed class RunProgress : IProgress<TrainingProgress>
    {
        private readonly Lock _lock = new();
        private string _stage = "starting";
        private double _fraction;

        public void Report(TrainingProgress value) => Set(value.Stage, value.Fraction);

        public void Set(string stage, double fraction)
        {
            lock (_lock)
            {
                _stage = stage;
                // Never move backwards: stages report their own fractions, the overall bar only grows.
                _fraction = Math.Max(_fraction, Math.Clamp(fraction, 0, 1));
            }
        }

        public (string Stage, double Fraction) Snapshot()
        {
            lock (_lock)
            {
                return (_stage, _fraction);
            }
        }
    }

    /// <summary>Maps the pipeline's 0..1 onto its share of the whole run.</summary>
    private sealed class ScaledProgress(RunProgress inner, double offset, double share) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => inner.Set(value.Stage, offset + (share * Math.Clamp(value.Fraction, 0, 1)));
    }
}
