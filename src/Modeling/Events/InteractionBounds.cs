using Cohortly.Contracts;

namespace Cohortly.Modeling.Events;

/// <summary>
/// The documented bounds of an interaction, owned here and read by the gateway's edge validation, the profile's
/// guards and the training log's row filter, so the three cannot disagree. The edge rejects what is outside them;
/// the profile and training still check, because the log may hold rows written by older versions that did not.
/// </summary>
public static class InteractionBounds
{
    /// <summary>Largest order value of a purchase (and largest value of any non-rating event); 1e9 in any currency.</summary>
    public const double MaxValue = 1e9;

    /// <summary>Smallest value a rating may carry.</summary>
    public const double MinRating = 0;

    /// <summary>Largest value a rating may carry: room for 0..10 scales; the profile weighs anything above 6 the same.</summary>
    public const double MaxRating = 10;

    /// <summary>Largest catalog price.</summary>
    public const double MaxPrice = MaxValue;

    /// <summary>Where a purchase's order value (and the value of any event that is not a rating) must lie.</summary>
    public static readonly ValueBounds Amount = new(0, MaxValue, $"must be between 0 and {MaxValue:0} (1e9)");

    /// <summary>Where a rating must lie.</summary>
    public static readonly ValueBounds Rating = new(MinRating, MaxRating, $"rating value must be between {MinRating:0} and {MaxRating:0}");

    /// <summary>Why an event's value is out of bounds for its type (rule and bounds from <see cref="EventTypes"/>), or null when it is within them.</summary>
    public static string? CheckValue(InteractionType type, double? value) => CheckValue(EventTypes.Of(type), value);

    /// <summary>Why <paramref name="value"/> breaks the value rule or the bounds of <paramref name="semantics"/>, or null when it keeps them.</summary>
    public static string? CheckValue(EventTypeSemantics semantics, double? value)
    {
        ArgumentNullException.ThrowIfNull(semantics);
        if (value is not { } v)
        {
            return semantics.ValueRule == ValueRule.Required ? $"is required for {semantics.WireName} events" : null;
        }

        if (semantics.ValueRule == ValueRule.None)
        {
            return $"must be left out for {semantics.WireName} events";
        }

        if (!double.IsFinite(v))
        {
            return "must be a finite number";
        }

        return v < semantics.Bounds.Min || v > semantics.Bounds.Max ? semantics.Bounds.Problem : null;
    }
}

/// <summary>An inclusive range of event values and the problem reported for a value outside it.</summary>
public sealed record ValueBounds(double Min, double Max, string Problem);
