using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

public static class EventsEndpoints
{
    /// <summary>1000 events of ~1 KB each at most, with room for whitespace.</summary>
    public const long MaxBodyBytes = 2 * 1024 * 1024;

    public static void MapEvents(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/events").WithTags("Events").RequireAuthorization(Policies.App);
        group.MapPost("/", PostEvents)
            .WithName("PostEvents")
            .WithSummary("Ingest a batch of 1..1000 interaction events")
            .WithDescription("Valid events are accepted even when others in the batch fail; duplicates by eventId are ignored.")
            .Accepts<EventBatchRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<Results<Accepted<EventBatchResponse>, ValidationProblem, ProblemHttpResult>> PostEvents(HttpRequest request, EventIngestor ingestor, CancellationToken cancellationToken)
    {
        var (body, tooLarge, invalid) = await Problems.ReadJsonAsync<EventBatchRequest>(request, MaxBodyBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (invalid is not null)
        {
            return invalid;
        }

        var events = body!.Events;
        if (events is null || events.Count == 0)
        {
            return Problems.Field("events", "must contain between 1 and 1000 events");
        }

        if (events.Count > EventValidator.MaxBatch)
        {
            return Problems.Field("events", $"has {events.Count} events; at most {EventValidator.MaxBatch} are allowed per batch");
        }

        EventBatchResponse result;
        try
        {
            result = await ingestor.IngestAsync(events, cancellationToken);
        }
        catch (IngestionBusyException busy)
        {
            // Nothing of this batch was accepted; a retry is safe (and deduplicated by eventId).
            request.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(busy.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: 503, title: "Ingestion busy", detail: busy.Message, extensions: new Dictionary<string, object?> { ["field"] = "events" });
        }

        if (result.Accepted > 0)
        {
            return TypedResults.Accepted((string?)null, result);
        }

        // 503 tells clients to retry, so it is only for valid events the log or stream did not take (in cluster mode:
        // Redis did not take them within its append timeout); a batch of invalid events (a null item included) is a
        // 400 naming each one, or a client would retry it forever.
        if (result.Unavailable > 0)
        {
            request.HttpContext.Response.Headers.RetryAfter = "1";
        }

        return result.Unavailable > 0
            ? (Results<Accepted<EventBatchResponse>, ValidationProblem, ProblemHttpResult>)TypedResults.Problem(statusCode: 503, title: "Event stream unavailable", detail: $"{result.Unavailable} valid events were not taken by the event log or stream; retry them (retries are deduplicated by eventId)", extensions: new Dictionary<string, object?> { ["field"] = "events", ["errors"] = result.Errors })
            : Problems.Fields(result.Errors.Select(e => (e.Field, e.Message)));
    }
}
