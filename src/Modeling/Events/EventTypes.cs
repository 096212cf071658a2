using Cohortly.Contracts;

namespace Cohortly.Modeling.Events;

/// <summary>Whether an event says the user wants the item.</summary>
public enum Polarity
{
    /// <summary>The user wants the item (a view, a click, a cart add, a purchase).</summary>
    Positive,

    /// <summary>The user does not want the item (a dismissal): it counts against, and is not engagement.</summary>
    Negative,

    /// <summary>The event's value, a rating, decides: positive at or above the configured threshold.</summary>
    ByRating,
}

/// <summary>Whether an event of a type carries a value.</summary>
public enum ValueRule
{
    /// <summary>The value may be left out.</summary>
    Optional,

    /// <summary>An event without a value is rejected.</summary>
    Required,

    /// <summary>An event with a value is rejected.</summary>
    None,
}

/// <summary>Which outcome counter an event attributed to a served recommendation adds to.</summary>
public enum AttributedOutcome
{
    /// <summary>The type is never attributed to a recommendation.</summary>
    None = 0,

    Click,

    AddToCart,

    /// <summary>A purchase; its value is the revenue.</summary>
    Purchase,
}

/// <summary>
/// What one interaction type means, everywhere it matters: the weight of its implicit feedback, whether it is
/// positive, whether it takes the item out of the recommendations, whether it rewards a served recommendation, which
/// value it carries, the verb of a "because you …" reason, and how it ranks against the other types on the same item.
/// </summary>
/// <param name="Weight">Weight in affinities and popularity (stronger intent counts more); a rating's weight comes from its value, this is the weight of a rating without a finite value.</param>
/// <param name="ExcludesItem">Whether serving leaves the item out of the user's recommendations while the event is among the recent items.</param>
/// <param name="Reward">The reward credited to a served recommendation the event lands on, or null when the type rewards nothing.</param>
/// <param name="Bounds">Where the value must lie, from <see cref="InteractionBounds"/>.</param>
/// <param name="Strength">Rank among the types on the same recent item: a stronger event replaces a weaker one; null when the type never replaces and is never replaced.</param>
/// <param name="Outcome">The outcome counter the event adds to when it is attributed to a served recommendation (None: never attributed).</param>
public sealed record EventTypeSemantics(
    InteractionType Type,
    double Weight,
    Polarity Polarity,
    bool ExcludesItem,
    double? Reward,
    ValueRule ValueRule,
    ValueBounds Bounds,
    string Verb,
    int? Strength,
    AttributedOutcome Outcome = AttributedOutcome.None)
{
    /// <summary>The name the type has on the wire and in training logs; owned by the contracts.</summary>
    public string WireName => Type.ToWireName();

    /// <summary>Weight of one event of this type with <paramref name="value"/>.</summary>
    // Ratings on a 1..5 scale: 3 is neutral, 5 is as strong as a cart add.
    // NaN would pass Math.Clamp and poison every affinity it touches: a non-finite rating weighs like a view.
    public double WeightOf(double? value) =>
        Polarity == Polarity.ByRating && value is { } v && double.IsFinite(v) ? Math.Clamp(v - 2, -2, 4) : Weight;

    /// <summary>Whether an event of this type with <paramref name="value"/> says the user wants the item; null when it says nothing either way.</summary>
    public bool? IsPositive(double? value, double positiveRating) => Polarity switch
    {
        Polarity.Positive => true,
        Polarity.Negative => false,
        _ => value is { } v && double.IsFinite(v) ? v >= positiveRating : null,
    };

    /// <summary>Whether an event of this type stays among the user's recent items in place of one of <paramref name="previous"/>'s on the same item.</summary>
    public bool Outranks(EventTypeSemantics previous) => Strength > previous.Strength;
}

/// <summary>
/// The one table of event types. Adding a type takes a member of <see cref="InteractionType"/> (with its wire name in
/// the contracts) and one entry here; the table tests fail until both exist.
/// </summary>
public static class EventTypes
{
    private static readonly EventTypeSemantics[] Table = ByType(
    [
        new(InteractionType.View, Weight: 1, Polarity.Positive, ExcludesItem: false, Reward: null, ValueRule.Optional, InteractionBounds.Amount, "viewed", Strength: 0),
        new(InteractionType.Click, Weight: 2, Polarity.Positive, ExcludesItem: false, Reward: 1, ValueRule.Optional, InteractionBounds.Amount, "viewed", Strength: 1, AttributedOutcome.Click),
        new(InteractionType.AddToCart, Weight: 4, Polarity.Positive, ExcludesItem: false, Reward: 1, ValueRule.Optional, InteractionBounds.Amount, "added to cart", Strength: 2, AttributedOutcome.AddToCart),
        new(InteractionType.Purchase, Weight: 8, Polarity.Positive, ExcludesItem: true, Reward: 1, ValueRule.Optional, InteractionBounds.Amount, "bought", Strength: 3, AttributedOutcome.Purchase),
        new(InteractionType.Rating, Weight: 1, Polarity.ByRating, ExcludesItem: true, Reward: null, ValueRule.Required, InteractionBounds.Rating, "rated", Strength: null),
        // Dismissals never enter the recent items, so their verb is never shown; "viewed" is what reasons always said.
        new(InteractionType.Dismiss, Weight: -2, Polarity.Negative, ExcludesItem: true, Reward: null, ValueRule.Optional, InteractionBounds.Amount, "viewed", Strength: null),
    ]);

    /// <summary>Every entry, in enum order: <c>All[(int)type].Type == type</c>.</summary>
    public static IReadOnlyList<EventTypeSemantics> All => Table;

    /// <summary>The meaning of <paramref name="type"/>; throws for a number no member has.</summary>
    public static EventTypeSemantics Of(InteractionType type) =>
        (uint)type < (uint)Table.Length ? Table[(int)type] : throw new ArgumentOutOfRangeException(nameof(type), type, "not a known interaction type");

    // Indexed by the enum's number so a lookup is one array read on the per-event path; a missing or doubled entry
    // fails the type initializer, and so every test that touches an event.
    private static EventTypeSemantics[] ByType(EventTypeSemantics[] entries)
    {
        if (entries.Length != InteractionTypes.Count)
        {
            throw new InvalidOperationException($"the event table has {entries.Length} entries for {InteractionTypes.Count} interaction types");
        }

        var table = new EventTypeSemantics[InteractionTypes.Count];
        foreach (var e in entries)
        {
            if ((uint)e.Type >= (uint)table.Length || table[(int)e.Type] is not null)
            {
                throw new InvalidOperationException($"the event table has an unknown or doubled entry for {e.Type}");
            }

            table[(int)e.Type] = e;
        }

        return table;
    }
}
