using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>
/// Training run status; state is one of idle, running, succeeded, failed. SkippedEvents: log rows the last run left
/// out as out of bounds (the run trains on the rest).
/// </summary>
public sealed record TrainingStatusView(
    string State,
    string? RunId,
    string? Trigger,
    string? Stage,
    double Percent,
    double ElapsedSeconds,
    double? EstimatedRemainingSeconds,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    long LastVersion,
    long ActiveVersion,
    string? Error,
    long SkippedEvents)
{
    /// <summary>Whether the last run's version passed the promotion gate (false: rejected, the active version kept serving).</summary>
    public bool Promoted { get; init; }

    /// <summary>The promotion gate's verdict on the last run's version.</summary>
    public string? Promotion { get; init; }

    public static TrainingStatusView From(TrainingStatus s) => new(
        s.State switch
        {
            TrainingState.Running => "running",
            TrainingState.Succeeded => "succeeded",
            TrainingState.Failed => "failed",
            _ => "idle",
        },
        s.RunId,
        s.Trigger,
        s.Stage,
        s.Percent,
        s.ElapsedSeconds,
        s.EstimatedRemainingSeconds,
        s.StartedAt,
        s.FinishedAt,
        s.LastVersion,
        s.ActiveVersion,
        s.Error,
        s.SkippedEvents)
    {
        Promoted = s.Promoted,
        Promotion = s.Promotion,
    };
}

public static class TrainingEndpoints
{
    public static void MapTraining(this IEndpointRouteBuilder routes)
    {
        var training = routes.MapGroup("/v1/admin/training").WithTags("Admin").RequireAuthorization(Policies.Read);
        training.MapPost("/", Start)
            .WithName("StartTraining")
            .WithSummary("Start a training run now (a run in progress is shared) and return its status")
            .WithDescription("Reads the interaction log within retention, trains, stores and activates a new model version. Poll GET /v1/admin/training for progress.");
        training.MapGet("/", Status)
            .WithName("TrainingStatus")
            .WithSummary("Status of the current or last training run: stage, percent, time estimates, versions, error");
    }

    private static async Task<Accepted<TrainingStatusView>> Start(IClusterClient client)
    {
        var status = await client.GetGrain<ITrainingGrain>(ITrainingGrain.Key).Start();
        return TypedResults.Accepted((string?)null, TrainingStatusView.From(status));
    }

    private static async Task<Ok<TrainingStatusView>> Status(IClusterClient client) =>
        TypedResults.Ok(TrainingStatusView.From(await client.GetGrain<ITrainingGrain>(ITrainingGrain.Key).GetStatus()));
}
