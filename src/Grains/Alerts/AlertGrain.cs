using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Alerts;

public sealed class AlertState
{
    public long Sequence { get; set; }

    /// <summary>Oldest first; at most <see cref="AlertSettings.History"/>.</summary>
    public List<Alert> Alerts { get; set; } = [];

    /// <summary>The newest finished training runs, oldest first, for alerts raised after their run ended.</summary>
    public List<TrainingRunOutcome> Runs { get; set; } = [];
}

/// <summary>
/// The alert history. Alerts are rare (a guardrail firing, a drift detector crossing its threshold), so one durable
/// grain holds them and every raise is written before it returns. The training grain reports every finished run here,
/// so a drift alert's retrain records its result (promoted, rejected with the reason, failed) in the alert itself.
/// </summary>
public sealed partial class AlertGrain(
    [PersistentState("alerts", StreamNames.Storage)] IPersistentState<AlertState> state,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<AlertGrain> logger) : Grain, IAlertGrain
{
    /// <summary>Finished runs kept for late alerts: one pass raises its alerts seconds after queuing, far fewer runs end meanwhile.</summary>
    private const int KeptRuns = 16;

    public async Task<Alert> Raise(AlertInput alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var s = state.State;
        // A run can end before the alert that queued it is raised (a run that fails at once).
        if (alert.Action is { RunId: { } runId, Run: null } action && s.Runs.FindLast(r => r.RunId == runId) is { } ended)
        {
            alert = alert with { Action = action.Resolve(ended) };
        }

        var raised = new Alert(++s.Sequence, time.GetUtcNow(), alert);
        s.Alerts.Add(raised);
        var excess = s.Alerts.Count - options.Value.Alerts.History;
        if (excess > 0)
        {
            s.Alerts.RemoveRange(0, excess);
        }

        await state.WriteStateAsync();
        LogRaised(logger, alert.Source, alert.CohortId, alert.Message);
        return raised;
    }

    public async Task RecordRunOutcome(TrainingRunOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var s = state.State;
        s.Runs.Add(outcome);
        if (s.Runs.Count > KeptRuns)
        {
            s.Runs.RemoveAt(0);
        }

        for (var i = 0; i < s.Alerts.Count; i++)
        {
            if (s.Alerts[i].Input.Action is { } action && action.Resolve(outcome) is var resolved && !ReferenceEquals(resolved, action))
            {
                s.Alerts[i] = s.Alerts[i] with { Input = s.Alerts[i].Input with { Action = resolved } };
            }
        }

        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<Alert>> List(int limit, int? cohortId, string? source)
    {
        var alerts = state.State.Alerts;
        var result = new List<Alert>(Math.Min(Math.Max(0, limit), alerts.Count));
        for (var i = alerts.Count - 1; i >= 0 && result.Count < limit; i--)
        {
            var a = alerts[i];
            if ((cohortId is null || a.Input.CohortId == cohortId) && (source is null || string.Equals(a.Input.Source, source, StringComparison.Ordinal)))
            {
                result.Add(a);
            }
        }

        return Task.FromResult<IReadOnlyList<Alert>>(result);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert from {Source} (cohort {CohortId}): {Message}")]
    private static partial void LogRaised(ILogger logger, string source, int? cohortId, string message);
}
