using System.Diagnostics;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
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
/// The one writer of segmentation versions and of model versions. It runs two kinds of run, one at a time, in one
/// queue: a full training run (log + catalog + attributes + previous segmentation + the active bundle →
/// <see cref="IModelTrainer"/> on the thread pool → artifact in the <see cref="IModelStore"/> → registry as a candidate
/// → the promotion gate's verdict: the bundle's segmentation version published and the version activated, or the
/// version rejected) and a segmentation-only run (the silos' feature samples → <see cref="SegmentationVersions.Build"/>,
/// the same builder training uses → published). Activations by hand run in the same queue and restore the version's
/// own segmentation (<see cref="SegmentationVersions.Restore"/>) before the registry switches. A request shares a queued or running run of its own kind and otherwise waits behind
/// the run in progress, so no request is dropped and no run overwrites another's version. A failed training run leaves
/// the active version alone and reports why. Version numbers exceed both the registry's and the segmentation's.
/// </summary>
public sealed partial class TrainingGrain(
    [PersistentState("training", StreamNames.Storage)] IPersistentState<TrainingGrainState> state,
    IInteractionLog log,
    IModelStore store,
    IModelTrainer trainer,
    ModelCache models,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<TrainingGrain> logger) : Grain, ITrainingGrain, IRemindable
{
    private const string ReminderName = "train";
    private const string SegmentationReminder = "resegment";
    private const string ScheduleTrigger = "schedule";

    /// <summary>The segmentation grain's request for a cluster's first version (<see cref="ITrainingGrain.FirstSegmentationTrigger"/>).</summary>
    private const string FirstTrigger = ITrainingGrain.FirstSegmentationTrigger;
    private const double ReadShare = 0.05;
    private const double PipelineShare = 0.85;

    private readonly CancellationTokenSource _deactivating = new();
    private Task _tail = Task.CompletedTask;
    private Task? _running;
    private Task<SegmentationVersionInfo>? _resegmenting;
    private RunProgress? _progress;
    private string? _runId;
    private string? _trigger;
    private DateTimeOffset _startedAt;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var period = options.Value.Training.Interval;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
        var segmentation = options.Value.Segmentation.Interval;
        await this.RegisterOrUpdateReminder(SegmentationReminder, segmentation, segmentation);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _deactivating.CancelAsync();
        await _tail.WaitAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
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

    public Task<SegmentationVersionInfo> Resegment(string trigger)
    {
        ArgumentException.ThrowIfNullOrEmpty(trigger);
        // A segmentation-only run queued or in progress is shared; otherwise one is queued behind whatever runs.
        if (_resegmenting is not { IsCompleted: false })
        {
            var runId = NewRunId();
            _resegmenting = Enqueue(() => ResegmentRun(runId, trigger, _deactivating.Token));
        }

        return _resegmenting;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName)
        {
            StartRun(ScheduleTrigger);
        }
        else if (reminderName == SegmentationReminder)
        {
            // Not awaited (a reminder tick must not hold the grain); the run logs its own outcome.
            _ = Resegment(ScheduleTrigger).ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    private static string NewRunId() => Guid.NewGuid().ToString("N")[..12];

    private void StartRun(string trigger)
    {
        // A training run queued or in progress is shared: a second request gets its status (same run id).
        if (_running is not { IsCompleted: false })
        {
            _runId = NewRunId();
            _trigger = trigger;
            _startedAt = time.GetUtcNow();
            _progress = new RunProgress();
            if (!_tail.IsCompleted)
            {
                _progress.Set("queued behind the run in progress", 0);
            }

            var (runId, progress) = (_runId, _progress);
            _running = Enqueue(async () =>
            {
                _startedAt = time.GetUtcNow();
                await Run(runId, progress, _deactivating.Token);
                return 0;
            });
        }
    }

    /// <summary>Runs <paramref name="run"/> after every run enqueued before it, whatever their outcome.</summary>
    private Task<T> Enqueue<T>(Func<Task<T>> run)
    {
        // Training can outlast the idle-collection age; keep the activation (and its queue) alive.
        DelayDeactivation(TimeSpan.FromHours(6));
        var previous = _tail;
        var next = After(previous, run);
        _tail = next;
        return next;

        static async Task<T> After(Task previous, Func<Task<T>> run)
        {
            // The previous run reports its own failure to its own callers.
            await Task.WhenAny(previous);
            return await run();
        }
    }

    private async Task<SegmentationVersionInfo> ResegmentRun(string runId, string trigger, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var segmentation = GrainFactory.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
            var sample = await segmentation.GetSample();
            var settings = options.Value.Segmentation;
            // On demand two users suffice; the schedule waits for K (as many users as the cohorts it is asked for).
            var needed = trigger == ScheduleTrigger ? Math.Max(2, settings.K) : 2;
            if (sample.Rows.Count < needed)
            {
                throw new InsufficientDataException($"{sample.Rows.Count} active users are sampled; at least {needed} are needed to segment.");
            }

            // Fewer sampled (or distinct) users than K is not a failure: the builder fits as many cohorts as there are
            // distinct users, and the published version says how many that was.
            var previous = await segmentation.GetCurrent();
            if (trigger == FirstTrigger && previous is not null)
            {
                // The request was queued behind a run that published the first version (typically a training run the
                // same events started): the cluster has its segmentation, and a second one from the live sample would
                // only move users away from the cohorts the model was just trained on.
                LogResegmentSkipped(logger, runId, trigger, $"version {previous.Version} was published while the request waited");
                return previous;
            }

            var basis = await Basis(segmentation, previous);
            var version = (previous?.Version ?? 0) + 1;
            var fit = settings.ToOptions();
            // Clustering is CPU work: keep it off the grain scheduler.
            var built = await Task.Run(
                () => SegmentationVersions.Build(FeatureMatrix.FromRows(sample.Rows), ProfileFeatures.Names, basis, version, fit, SegmentationRunKind.SegmentationOnly, cancellationToken),
                cancellationToken);
            if (await SegmentationQualityGate.CheckAsync(GrainFactory, settings, built, $"segmentation-only run {runId}", previous?.Version ?? 0, logger) is { } shortfall)
            {
                throw SegmentationQualityGate.Exception(shortfall);
            }
            var info = SegmentationVersionInfo.From(built, time.GetUtcNow(), stopwatch.Elapsed.TotalSeconds, runId);
            var published = await segmentation.Publish(info);
            if (published != info.Version)
            {
                throw new InvalidOperationException($"Segmentation version {info.Version} was not published: version {published} is current.");
            }

            LogResegmented(logger, runId, trigger, info.Version, stopwatch.Elapsed.TotalSeconds);
            return info;
        }
        catch (Exception ex) when (ex is InsufficientDataException or SegmentationWithheldException)
        {
            // Expected while a cluster is young, or already logged and alerted by the quality gate.
            LogResegmentSkipped(logger, runId, trigger, ex.Message);
            throw;
        }
        catch (Exception ex)
        {
            LogResegmentFailed(logger, runId, trigger, ex);
            throw;
        }
    }

    /// <summary>
    /// The current version, and — when it is not itself the active model's segmentation — that segmentation as the
    /// anchor kept ids are matched against (so adapted weights keep serving the users they were fitted on).
    /// </summary>
    private async Task<SegmentationBasis?> Basis(ISegmentationGrain segmentation, SegmentationVersionInfo? previous)
    {
        if (previous is null)
        {
            return null;
        }

        var basis = new SegmentationBasis(SegmentationCache.ToModel(previous), previous.NextCohortId);
        var model = await GrainFactory.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).GetActiveVersion();
        if (model == 0 || previous.ModelVersion == model)
        {
            return basis;
        }

        foreach (var kept in await segmentation.GetHistory())
        {
            if (kept.Producer is SegmentationProducer.Training or SegmentationProducer.Restored && kept.ModelVersion == model)
            {
                return basis with { Anchor = SegmentationCache.ToModel(kept) };
            }
        }

        return basis;
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
            var (version, skipped, promotion) = await Train(runId, progress, stopwatch, cancellationToken);
            final = new TrainingStatus
            {
                State = TrainingState.Succeeded,
                Stage = "done",
                Percent = 100,
                LastVersion = version,
                SkippedEvents = skipped,
                Promoted = promotion.Promote,
                Promotion = promotion.Reason,
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

        var finished = final with
        {
            RunId = runId,
            Trigger = _trigger,
            StartedAt = _startedAt,
            FinishedAt = time.GetUtcNow(),
            ElapsedSeconds = stopwatch.Elapsed.TotalSeconds,
        };
        state.State.Last = finished;
        try
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogStateWriteFailed(logger, ex);
        }

        await ReportOutcome(runId, finished);
    }

    /// <summary>Every finished run goes to the alerts, where a drift action that queued it records its result.</summary>
    private async Task ReportOutcome(string runId, TrainingStatus final)
    {
        var outcome = final.State == TrainingState.Failed
            ? new TrainingRunOutcome(runId, TrainingRunResult.Failed, 0, final.Error ?? "failed", final.FinishedAt ?? time.GetUtcNow())
            : new TrainingRunOutcome(runId, final.Promoted ? TrainingRunResult.Promoted : TrainingRunResult.Rejected, final.LastVersion, final.Promotion ?? string.Empty, final.FinishedAt ?? time.GetUtcNow());
        try
        {
            await GrainFactory.GetGrain<IAlertGrain>(IAlertGrain.Key).RecordRunOutcome(outcome);
        }
        catch (Exception ex)
        {
            LogOutcomeReportFailed(logger, runId, ex);
        }
    }

    private async Task<(long Version, long Skipped, PromotionDecision Promotion)> Train(string runId, RunProgress progress, Stopwatch stopwatch, CancellationToken cancellationToken)
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

        var activeVersion = known.ActiveVersion;
        var (active, activeError) = activeVersion == 0 ? (null, null) : await LoadBundle(activeVersion, cancellationToken);
        var input = new TrainingInput(snapshot.Events, items, snapshot.Attributes, previous is null ? null : SegmentationCache.ToModel(previous), version, now)
        {
            NextCohortId = previous?.NextCohortId ?? 0,
            Active = active,
        };
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
        var decision = activeError is not null
            ? PromotionDecision.ActiveUnavailable(activeError)
            : bundle.Promotion ?? PromotionDecision.NoActive;
        var info = ToInfo(bundle, version, bytes.Length, stopwatch.Elapsed.TotalSeconds) with
        {
            Status = ModelStatus.Candidate,
            StatusReason = "registered; the promotion gate decides next",
            Promotion = activeVersion == 0 ? null : PromotionReport.From(decision, activeVersion),
        };
        await registry.Register(info);
        // The model was trained on its segmentation's cohorts, so a segmentation below the floor takes its model with it.
        if (decision.Promote && bundle.SegmentationVersion is { } fitted
            && await SegmentationQualityGate.CheckAsync(GrainFactory, options.Value.Segmentation, fitted, $"training run {runId}", previous?.Version ?? 0, logger) is { } shortfall)
        {
            decision = decision with { Promote = false, Reason = shortfall.Reason };
        }

        if (!decision.Promote)
        {
            // The active version keeps serving with its segmentation: the candidate's is not published.
            await registry.Reject(version, decision.Reason);
            LogRejected(logger, runId, version, activeVersion, decision.Reason);
            return (version, bundle.Summary.SkippedEvents + snapshot.UnreadableLines, decision);
        }

        progress.Set("publishing", 0.96);
        // Runs are queued one at a time, so nothing was published since `previous` was read.
        var built = bundle.SegmentationVersion ?? throw new InvalidOperationException("The trainer returned a bundle without its segmentation version.");
        var published = await segmentation.Publish(SegmentationVersionInfo.From(built, now, stopwatch.Elapsed.TotalSeconds, runId));
        if (published != built.Model.Version)
        {
            throw new InvalidOperationException($"Segmentation version {built.Model.Version} was not published: version {published} is current.");
        }

        await registry.Activate(new ModelActivationRequest(version, $"promoted by training run {runId}: {decision.Reason}", false, OtherCohorts(previous, info)));
        return (version, bundle.Summary.SkippedEvents + snapshot.UnreadableLines, decision);
    }

    public Task<ModelActivation> Activate(long version, bool force)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        var runId = NewRunId();
        return Enqueue(() => ActivateRun(runId, version, force, _deactivating.Token));
    }

    /// <summary>
    /// Activation as one step of the queue, so no training or re-clustering publishes in between: the version's own
    /// segmentation is made current (republished under a new number, transitions against the current one), then the
    /// registry switches and every cohort adopts the version, its adapted flag and its proposal.
    /// </summary>
    private async Task<ModelActivation> ActivateRun(string runId, long version, bool force, CancellationToken cancellationToken)
    {
        var registry = GrainFactory.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);
        var view = await registry.List();
        ModelVersionInfo? info = null;
        foreach (var v in view.Versions)
        {
            if (v.Version == version)
            {
                info = v;
            }
        }

        if (info is null)
        {
            throw new UnknownModelVersionException(version);
        }

        if (info.Status == ModelStatus.Rejected && !force)
        {
            throw new ModelRejectedException($"Model version {version} was rejected by the promotion gate ({info.StatusReason}); activate it with force to override the gate.");
        }

        var segmentation = GrainFactory.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var current = await segmentation.GetCurrent();
        var restored = false;
        var segmentationVersion = current?.Version ?? 0;
        if (current is null || current.ModelVersion != version)
        {
            var source = await SegmentationOf(segmentation, version, cancellationToken);
            var sample = await segmentation.GetSample();
            var next = Math.Max(current?.Version ?? 0, view.Versions.Count == 0 ? 0 : view.Versions[0].Version) + 1;
            var settings = options.Value.Segmentation;
            var built = SegmentationVersions.Restore(source, current is null ? null : SegmentationCache.ToModel(current), current?.NextCohortId ?? 0, next, version, sample.Rows.Count == 0 ? new FeatureMatrix(0, ProfileFeatures.Count) : FeatureMatrix.FromRows(sample.Rows), settings.SilhouetteSample, settings.Seed);
            var published = await segmentation.Publish(SegmentationVersionInfo.From(built, time.GetUtcNow(), 0, runId));
            if (published != next)
            {
                throw new InvalidOperationException($"Segmentation version {next} was not published: version {published} is current.");
            }

            restored = true;
            segmentationVersion = next;
        }

        var was = info.Status;
        var forced = was == ModelStatus.Rejected;
        var reason = forced
            ? $"activated by hand over the promotion gate's rejection ({info.StatusReason})"
            : version == view.ActiveVersion ? "activated by hand again" : $"activated by hand (was {was.ToString().ToLowerInvariant()}; version {view.ActiveVersion} was active)";
        var activated = await registry.Activate(new ModelActivationRequest(version, reason, forced, OtherCohorts(current, info)));
        LogActivatedByHand(logger, runId, version, segmentationVersion, restored, forced);
        return new ModelActivation(activated, segmentationVersion, restored);
    }

    /// <summary>The segmentation a model version was trained with: the kept version when there is one, else the bundle's own.</summary>
    private async Task<SegmentationModel> SegmentationOf(ISegmentationGrain segmentation, long version, CancellationToken cancellationToken)
    {
        foreach (var kept in await segmentation.GetHistory())
        {
            if (kept.Producer is SegmentationProducer.Training or SegmentationProducer.Restored && kept.ModelVersion == version)
            {
                return SegmentationCache.ToModel(kept);
            }
        }

        var (bundle, error) = await LoadBundle(version, cancellationToken);
        return bundle?.Segmentation ?? throw new InvalidOperationException($"The segmentation of model version {version} is not available: {error}");
    }

    /// <summary>The bundle of a version: the silo's cache when it holds it, else the store (deserialized off the scheduler).</summary>
    private async Task<(ModelBundle? Bundle, string? Error)> LoadBundle(long version, CancellationToken cancellationToken)
    {
        if (models.Version == version && models.Current is { } held)
        {
            return (held, null);
        }

        try
        {
            var bytes = await store.LoadAsync(version, cancellationToken);
            if (bytes is null)
            {
                return (null, $"model version {version} is not in the model store");
            }

            return (await Task.Run(() => ModelBundle.FromBytes(bytes), cancellationToken), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, $"model version {version} did not load: {ex.Message}");
        }
    }

    /// <summary>Cohorts of the segmentation being replaced that the version has no weights for.</summary>
    private static List<int> OtherCohorts(SegmentationVersionInfo? replaced, ModelVersionInfo info)
    {
        var others = new List<int>();
        if (replaced is null)
        {
            return others;
        }

        foreach (var id in replaced.CohortIds)
        {
            var known = false;
            foreach (var c in info.Cohorts)
            {
                known |= c.CohortId == id;
            }

            if (!known)
            {
                others.Add(id);
            }
        }

        return others;
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
            Ranker = BundleModelInfo.Ranker(bundle),
            Purchase = BundleModelInfo.Purchase(bundle),
            Tuning = BundleModelInfo.Tuning(bundle),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training run {RunId} produced model version {Version} in {Seconds:F1} s")]
    private static partial void LogSucceeded(ILogger logger, string runId, long version, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training run {RunId}: model version {Version} was rejected against active version {Active}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string runId, long version, long active, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Activation {RunId}: model version {Version} is active with segmentation version {Segmentation} (restored: {Restored}; forced over the gate: {Forced})")]
    private static partial void LogActivatedByHand(ILogger logger, string runId, long version, long segmentation, bool restored, bool forced);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training run {RunId} failed; the active model version is unchanged")]
    private static partial void LogFailed(ILogger logger, string runId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Segmentation-only run {RunId} ({Trigger}) published segmentation version {Version} in {Seconds:F1} s")]
    private static partial void LogResegmented(ILogger logger, string runId, string trigger, long version, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Segmentation-only run {RunId} ({Trigger}) published nothing: {Reason}")]
    private static partial void LogResegmentSkipped(ILogger logger, string runId, string trigger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Segmentation-only run {RunId} ({Trigger}) failed; the current segmentation is unchanged")]
    private static partial void LogResegmentFailed(ILogger logger, string runId, string trigger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training run {RunId}: reporting its outcome to the alerts failed; an alert waiting on it stays pending")]
    private static partial void LogOutcomeReportFailed(ILogger logger, string runId, Exception exception);

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
