using System.Text.Json.Serialization;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Contracts;

/// <summary>
/// An accepted, validated interaction as it travels on the stream. <see cref="RecommendationId"/> and
/// <see cref="Position"/> name the response (and its slot) the event answers, for attribution; the training log
/// does not carry them (training learns from interactions, not from which response showed them).
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.InteractionEvent")]
public sealed record InteractionEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] string UserId,
    [property: Id(2)] string ItemId,
    [property: Id(3)] InteractionType Type,
    [property: Id(4)] double? Value,
    [property: Id(5)] DateTimeOffset Timestamp,
    [property: Id(6)] string? Device,
    [property: Id(7)] DateTimeOffset ReceivedAt,
    [property: Id(8), JsonIgnore] Guid? RecommendationId = null,
    [property: Id(9), JsonIgnore] int? Position = null)
{
    /// <summary>
    /// The declared context keys other than the device (country, referrer, page type; normalized at the edge), null
    /// when none: kept in the training log with the event, so training learns them.
    /// </summary>
    [Id(10)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Context { get; init; }

    public Interaction ToInteraction() => new(UserId, ItemId, Type, Value, Timestamp.ToUnixTimeMilliseconds(), Device, Context);
}
