using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>An alert: sequence, when, which detector (source), cohort (null: not cohort-specific), statistic, its value against the threshold, and a message.</summary>
public sealed record AlertView(long Sequence, DateTimeOffset At, string Source, int? CohortId, string Statistic, double Value, double Threshold, string Message)
{
    /// <summary>The action a drift detection triggered and how it ended; null for alerts without one (experiment guardrails act by themselves).</summary>
    public AlertActionView? Action { get; init; }
}

/// <summary>
/// Action: alert-only, retrain or serve-global; outcome: none (alert only), pending (a retrain's run is queued or
/// running), succeeded (a retrain: its version was promoted), rejected (the promotion gate rejected its version), failed
/// (detail holds the error) or not-applicable; detail: what happened; at: when it ended; runId and run: a retrain's run
/// and its result.
/// </summary>
public sealed record AlertActionView(string Action, string Outcome, string Detail, DateTimeOffset At)
{
    /// <summary>The training run a retrain queued; null for other actions.</summary>
    public string? RunId { get; init; }

    /// <summary>How that run ended; null while it is pending.</summary>
    public TrainingRunView? Run { get; init; }

    public static AlertActionView? From(AlertActionRecord? record) => record is null ? null : new(
        record.Action switch
        {
            DriftAction.Retrain => "retrain",
            DriftAction.ServeGlobal => "serve-global",
            _ => "alert-only",
        },
        record.Outcome switch
        {
            DriftActionOutcome.Succeeded => "succeeded",
            DriftActionOutcome.Failed => "failed",
            DriftActionOutcome.NotApplicable => "not-applicable",
            DriftActionOutcome.Pending => "pending",
            DriftActionOutcome.Rejected => "rejected",
            _ => "none",
        },
        record.Detail,
        record.At)
    {
        RunId = record.RunId,
        Run = record.Run is { } run ? new TrainingRunView(run.RunId, run.Result switch
        {
            TrainingRunResult.Promoted => "promoted",
            TrainingRunResult.Rejected => "rejected",
            _ => "failed",
        }, run.Version, run.Reason, run.FinishedAt) : null,
    };
}

/// <summary>A finished training run: result promoted, rejected or failed; its version (0 when it failed); why; when.</summary>
public sealed record TrainingRunView(string RunId, string Result, long Version, string Reason, DateTimeOffset FinishedAt);

public sealed record AlertListView(IReadOnlyList<AlertView> Alerts);

public static class AlertsEndpoints
{
    public const int MaxLimit = 1000;

    public static void MapAlerts(this IEndpointRouteBuilder routes) =>
        routes.MapGroup("/v1/alerts").WithTags("Alerts").RequireAuthorization(Policies.Read)
            .MapGet("/", List)
            .WithName("ListAlerts")
            .WithSummary("Alerts newest first (experiment guardrails, drift detectors), optionally of one cohort or source");

    private static async Task<Results<Ok<AlertListView>, ValidationProblem>> List(IClusterClient client, string? limit = null, string? cohortId = null, string? source = null)
    {
        var n = 100;
        if (!string.IsNullOrEmpty(limit) && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > MaxLimit))
        {
            return Problems.Field("limit", $"must be a whole number between 1 and {MaxLimit}");
        }

        int? cohort = null;
        if (!string.IsNullOrEmpty(cohortId))
        {
            if (!int.TryParse(cohortId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c) || c < IOutcomeGrain.NoCohort)
            {
                return Problems.Field("cohortId", "must be a whole number, -1 (users without a cohort) or more");
            }

            cohort = c;
        }

        var alerts = await client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(n, cohort, string.IsNullOrEmpty(source) ? null : source);
        return TypedResults.Ok(new AlertListView([.. alerts.Select(a => new AlertView(a.Sequence, a.At, a.Input.Source, a.Input.CohortId, a.Input.Statistic, a.Input.Value, a.Input.Threshold, a.Input.Message) { Action = AlertActionView.From(a.Input.Action) })]));
    }
}
