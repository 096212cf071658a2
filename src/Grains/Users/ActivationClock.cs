using System.Diagnostics;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace Cohortly.Grains.Users;

/// <summary>
/// What a user grain's activation spent before its first call could run, in parts (issue 16: the first request of an
/// idle user): <c>directory</c> — from the grain's construction until its state read starts (Orleans registers the
/// activation in the grain directory first, a call to the directory partition's silo); <c>state_read</c> — the
/// persistent state read (one Redis round trip, inflate, JSON) until OnActivateAsync; and for a first call that is a
/// recommendation: <c>queued</c> — from OnActivateAsync until the call started, <c>serve</c> — the call itself,
/// <c>total</c> — construction to the answer. Recorded on the <c>cohortly.user.activation</c> histogram (ms, tag
/// <c>part</c>); the first-request parts also at Debug, which the memory bench reads.
/// </summary>
/// <remarks>
/// One lifecycle observer (before the state's stage), removed again at the first call, so nothing of the clock stays
/// with a resident user but the grain's field, which the first call clears.
/// </remarks>
internal sealed partial class ActivationClock : ILifecycleObserver
{
    private readonly long _constructed = Stopwatch.GetTimestamp();
    private long _readStarted;
    private long _activated;
    private bool _cancelled;
    private IDisposable? _subscription;

    /// <summary>Marks the start of the state read: observes the stage before the persistent state's.</summary>
    public void Participate(IGrainLifecycle lifecycle) =>
        _subscription = lifecycle.Subscribe(nameof(ActivationClock), GrainLifecycleStage.SetupState - 1, this);

    public Task OnStart(CancellationToken cancellationToken = default)
    {
        _readStarted = Stopwatch.GetTimestamp();
        return Task.CompletedTask;
    }

    public Task OnStop(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>A migrated activation: its lifecycle read no state, so nothing of it is recorded.</summary>
    public void Cancel() => _cancelled = true;

    /// <summary>OnActivateAsync: the state is read; the activation's parts are recorded.</summary>
    public void Activated(CohortlyMetrics metrics)
    {
        _activated = Stopwatch.GetTimestamp();
        if (!_cancelled)
        {
            Record(metrics.UserActivation, "directory", _constructed, _readStarted);
            Record(metrics.UserActivation, "state_read", _readStarted, _activated);
        }
    }

    /// <summary>The first call has come (any call): the lifecycle lets go of the clock.</summary>
    public void Release()
    {
        _subscription?.Dispose();
        _subscription = null;
    }

    /// <summary>The first call was a recommendation that started at <paramref name="started"/> and has just answered.</summary>
    public void FirstRecommendation(long started, CohortlyMetrics metrics, ILogger logger)
    {
        var answered = Stopwatch.GetTimestamp();
        Release();
        if (_activated == 0 || _cancelled)
        {
            return; // not a fresh activation's lifecycle: nothing to attribute
        }

        var histogram = metrics.UserActivation;
        Record(histogram, "queued", _activated, started);
        Record(histogram, "serve", started, answered);
        Record(histogram, "total", _constructed, answered);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LogFirstRecommendation(logger, Ms(_constructed, _readStarted), Ms(_readStarted, _activated), Ms(_activated, started), Ms(started, answered), Ms(_constructed, answered));
        }
    }

    private static void Record(System.Diagnostics.Metrics.Histogram<double> histogram, string part, long from, long to)
    {
        if (histogram.Enabled && from != 0 && to != 0)
        {
            histogram.Record(Ms(from, to), new KeyValuePair<string, object?>("part", part));
        }
    }

    private static double Ms(long from, long to) => from == 0 || to == 0 ? double.NaN : Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    // Parsed by the memory bench (MemoryCommand.ActivationParts): keep the "first recommendation after activation:" prefix and the part names.
    [LoggerMessage(Level = LogLevel.Debug, Message = "first recommendation after activation: directory={Directory:0.###} state_read={StateRead:0.###} queued={Queued:0.###} serve={Serve:0.###} total={Total:0.###} ms")]
    private static partial void LogFirstRecommendation(ILogger logger, double directory, double stateRead, double queued, double serve, double total);
}
