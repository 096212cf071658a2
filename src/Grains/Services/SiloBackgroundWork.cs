using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Cohortly.Grains.Services;

/// <summary>
/// The per-silo loops: flush aggregated deltas to cohort grains, refresh the local caches, and
/// push the feature sample to the segmentation grain. Starts once the silo is active.
/// </summary>
internal sealed partial class SiloBackgroundWork(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    ActivityAggregator activity,
    OutcomeAggregator outcomes,
    CatalogCache catalog,
    SegmentationCache segmentation,
    CohortSnapshotCache cohorts,
    ExperimentCache experiments,
    RulesCache rules,
    Training.ModelCache models,
    Training.IUserDataLog log,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<SiloBackgroundWork> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private bool _trainingScheduled;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloBackgroundWork), ServiceLifecycleStage.Active, Start, Stop);

    /// <summary>Sends everything buffered now (cohort activity and outcomes); used by the loop and on shutdown.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var outcomeFlush = outcomes.FlushAsync(silo.SiloAddress.ToParsableString(), SendOutcomes, cancellationToken);
        var deltas = activity.TakeDeltas();
        var calls = new List<Task>(deltas.Count + 1) { outcomeFlush };
        foreach (var (cohortId, delta) in deltas)
        {
            calls.Add(FlushOne(cohortId, delta, cancellationToken));
        }

        await Task.WhenAll(calls);
    }

    private Task SendOutcomes(int cohortId, OutcomeBatch batch, CancellationToken cancellationToken) =>
        grains.GetGrain<IOutcomeGrain>(cohortId).Apply(batch).WaitAsync(cancellationToken);

    private async Task FlushOne(int cohortId, CohortDelta delta, CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = await grains.GetGrain<ICohortGrain>(cohortId).ApplyDelta(delta).WaitAsync(cancellationToken);
            cohorts.Put(snapshot);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            activity.Restore(cohortId, delta);
            LogFlushFailed(logger, cohortId, ex);
        }
    }

    private Task Start(CancellationToken cancellationToken)
    {
        var o = options.Value;
        activity.FeatureCapacity = o.Segmentation.SamplePerSilo;
        _loops.Add(Loop(o.Flush, FlushAsync));
        _loops.Add(Loop(o.CachePoll, RefreshCaches));
        _loops.Add(Loop(o.Segmentation.SamplePush, PushSample));
        _loops.Add(Loop(o.Training.ModelPoll, RefreshModel));
        _loops.Add(Loop(o.Privacy.RetentionSweep, ApplyRetention));
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        try
        {
            // Last flush so a graceful shutdown loses no aggregated activity.
            await FlushAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            LogFlushFailed(logger, -1, ex);
        }
    }

    private async Task RefreshCaches(CancellationToken cancellationToken)
    {
        await catalog.RefreshAsync(grains, cancellationToken);
        await segmentation.RefreshAsync(grains, cancellationToken);
        var ids = new List<int> { CohortSnapshotCache.Global };
        if (segmentation.Current is { } model)
        {
            ids.AddRange(model.CohortIds);
        }

        await cohorts.RefreshAsync(grains, ids, cancellationToken);
        await experiments.RefreshAsync(grains, cancellationToken);
        await rules.RefreshAsync(grains, cancellationToken);
    }

    private async Task RefreshModel(CancellationToken cancellationToken)
    {
        if (!_trainingScheduled)
        {
            // Activating the training grain registers its reminder; without a first call the schedule never starts.
            await grains.GetGrain<ITrainingGrain>(ITrainingGrain.Key).GetStatus().WaitAsync(cancellationToken);
            // The drift monitor's reminder likewise (or its removal when Cohortly:Drift:Enabled is off).
            await grains.GetGrain<IDriftMonitorGrain>(IDriftMonitorGrain.Key).EnsureScheduled().WaitAsync(cancellationToken);
            _trainingScheduled = true;
        }

        await models.RefreshAsync(grains, cancellationToken);
    }

    /// <summary>Removes log records past the retention (every silo does; a second trim of the same cut removes nothing).</summary>
    private async Task ApplyRetention(CancellationToken cancellationToken)
    {
        var removed = await log.ApplyRetentionAsync(cancellationToken);
        if (removed > 0)
        {
            LogRetention(logger, removed);
        }
    }

    /// <summary>Sends this silo's feature sample now; used by the loop and by tests.</summary>
    internal async Task PushSample(CancellationToken cancellationToken)
    {
        if (activity.RegisteredUsers == 0)
        {
            return;
        }

        // Users erased on another silo leave this silo's sample too (a user active here earlier keeps a row here).
        var segmentation = grains.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        foreach (var erased in await segmentation.ErasedUsers().WaitAsync(cancellationToken))
        {
            activity.ForgetFeatures(erased);
        }

        var sample = activity.Sample(silo.SiloAddress.ToParsableString());
        await segmentation.SubmitSample(sample).WaitAsync(cancellationToken);
    }

    private async Task Loop(TimeSpan period, Func<CancellationToken, Task> work)
    {
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    await work(_stop.Token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogLoopFailed(logger, work.Method.Name, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flushing activity to cohort {CohortId} failed; it will be retried")]
    private static partial void LogFlushFailed(ILogger logger, int cohortId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Background step {Step} failed")]
    private static partial void LogLoopFailed(ILogger logger, string step, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Count} log records (events or day files)")]
    private static partial void LogRetention(ILogger logger, long count);
}
