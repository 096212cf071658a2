using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Contracts;

/// <summary>An accepted, validated interaction as it travels on the stream.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.InteractionEvent")]
public sealed record InteractionEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] string UserId,
    [property: Id(2)] string ItemId,
    [property: Id(3)] InteractionType Type,
    [property: Id(4)] double? Value,
    [property: Id(5)] DateTimeOffset Timestamp,
    [property: Id(6)] string? Device,
    [property: Id(7)] DateTimeOffset ReceivedAt)
{
    public Interaction ToInteraction() => new(UserId, ItemId, Type, Value, Timestamp.ToUnixTimeMilliseconds(), Device);
}
