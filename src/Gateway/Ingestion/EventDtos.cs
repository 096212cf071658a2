using System.Text.Json.Serialization;

namespace Cohortly.Gateway.Ingestion;

/// <summary>Request body of POST /v1/events. Everything is nullable so missing fields get named errors.</summary>
public sealed record EventBatchRequest([property: JsonPropertyName("events")] List<EventDto?>? Events);

public sealed record EventDto(
    string? EventId,
    string? UserId,
    string? ItemId,
    string? Type,
    double? Value,
    DateTimeOffset? Timestamp,
    Dictionary<string, string?>? Context,
    string? RecommendationId = null,
    int? Position = null);

public sealed record EventError(int Index, string? EventId, string Field, string Message);

public sealed record EventBatchResponse(int Accepted, int Rejected, IReadOnlyList<EventError> Errors)
{
    /// <summary>
    /// Valid events the log or the stream did not take (retrying them can succeed), as opposed to invalid ones
    /// (retrying cannot). Decides 503 vs 400 when nothing was accepted; not part of the response body.
    /// </summary>
    [JsonIgnore]
    public int Unavailable { get; init; }
}
