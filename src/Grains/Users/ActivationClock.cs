using System.Diagnostics;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace Cohortly.Grains.Users;

/// <summary>
/// What a user grain's activation spent before its first call could run, in parts (issue 16: the first request of an
/// idle user): <c>directory</c> — from the grain's construction until its state read starts (Orleans registers the
/// activation in the grain directory first, a call to the directory partition's silo); <c>state_read</c> — the
/// persistent state read (one Redis round trip, inflate, JSON); <c>activate</c> — the rest of the activation
/// lifecycle; and for a first call that is a recommendation: <c>queued</c> — from the end of the activation until the
/// call started, <c>serve</c> — the call itself, <c>total</c> — construction to the answer. Recorded on the
/// <c>cohortly.user.activation</c> histogram (ms, tag <c>part</c>); the first-request parts also at Debug, which the
/// memory bench reads. One object per activation, dropped at the first call (8 bytes per resident user after that).
/// </summary>
internal sealed partial class ActivationClock
{
    private readonly long _constructed = Stopwatch.GetTimestamp();
    private long _readStarted;
    private long _readEnded;
    private long _activated;
    private bool _cancelled;

    /// <summary>A migrated activation: its lifecycle read no state, so nothing of it is recorded.</summary>
    public void Cancel() => _cancelled = true;

    /// <summary>Before and after the persistent state's stage, and after OnActivateAsync's, in the grain's lifecycle.</summary>
    public void Participate(IGrainLifecycle lifecycle, CohortlyMetrics metrics)
    {
        lifecycle.Subscribe(nameof(ActivationClock), GrainLifecycleStage.SetupState - 1, _ =>
        {
            _readStarted = Stopwatch.GetTimestamp();
            return Task.CompletedTask;
        });
        lifecycle.Subscribe(nameof(ActivationClock), GrainLifecycleStage.SetupState + 1, _ =>
        {
            _readEnded = Stopwatch.GetTimestamp();
            return Task.CompletedTask;
        });
        lifecycle.Subscribe(nameof(ActivationClock), GrainLifecycleStage.Activate + 1, _ =>
        {
            _activated = Stopwatch.GetTimestamp();
            if (_cancelled)
            {
                return Task.CompletedTask;
            }

            Record(metrics.UserActivation, "directory", _constructed, _readStarted);
            Record(metrics.UserActivation, "state_read", _readStarted, _readEnded);
            Record(metrics.UserActivation, "activate", _readEnded, _activated);
            return Task.CompletedTask;
        });
    }

    /// <summary>The first call was a recommendation that started at <paramref name="started"/> and has just answered.</summary>
    public void FirstRecommendation(long started, CohortlyMetrics metrics, ILogger logger)
    {
        var answered = Stopwatch.GetTimestamp();
        if (_activated == 0 || _cancelled)
        {
            return; // not a fresh activation's lifecycle (never seen in practice): nothing to attribute
        }

        var histogram = metrics.UserActivation;
        Record(histogram, "queued", _activated, started);
        Record(histogram, "serve", started, answered);
        Record(histogram, "total", _constructed, answered);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LogFirstRecommendation(logger, Ms(_constructed, _readStarted), Ms(_readStarted, _readEnded), Ms(_readEnded, _activated),
                Ms(_activated, started), Ms(started, answered), Ms(_constructed, answered));
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
    [LoggerMessage(Level = LogLevel.Debug, Message = "first recommendation after activation: directory={Directory:0.###} state_read={StateRead:0.###} activate={Activate:0.###} queued={Queued:0.###} serve={Serve:0.###} total={Total:0.###} ms")]
    private static partial void LogFirstRecommendation(ILogger logger, double directory, double stateRead, double activate, double queued, double serve, double total);
}
