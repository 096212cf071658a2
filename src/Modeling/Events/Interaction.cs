using Cohortly.Contracts;

namespace Cohortly.Modeling.Events;

/// <summary>
/// One interaction as the algorithms see it: no transport concerns, time in unix milliseconds. <see cref="Context"/>
/// holds the declared context keys other than the device (<see cref="ContextSchema"/>), null when none.
/// </summary>
public readonly record struct Interaction(
    string UserId,
    string ItemId,
    InteractionType Type,
    double? Value,
    long TimestampMs,
    string? Device,
    IReadOnlyDictionary<string, string>? Context = null);

/// <summary>What the algorithms need to know about an item: its categories, price and tags (merchandising rules match them).</summary>
public sealed record ItemInfo(string Id, IReadOnlyList<string> Categories, double? Price, bool Available = true, IReadOnlyList<string>? Tags = null)
{
    /// <summary>The item's own repeat policy ("buy again"); null takes its category's or the default (<c>RepeatPolicyBook</c>).</summary>
    public Repeats.RepeatPolicy? Repeat { get; init; }
}
