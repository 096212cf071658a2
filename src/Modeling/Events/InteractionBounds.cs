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

    /// <summary>Why an event's value is out of bounds for its type, or null when it is within them.</summary>
    public static string? CheckValue(InteractionType type, double? value)
    {
        if (value is not { } v)
        {
            return type == InteractionType.Rating ? "is required for rating events" : null;
        }

        if (!double.IsFinite(v))
        {
            return "must be a finite number";
        }

        if (type == InteractionType.Rating)
        {
            return v is < MinRating or > MaxRating ? $"rating value must be between {MinRating:0} and {MaxRating:0}" : null;
        }

        return v is < 0 or > MaxValue ? $"must be between 0 and {MaxValue:0} (1e9)" : null;
    }
}
