using Cohortly.Contracts;

namespace Cohortly.Contracts;

/// <summary>
/// Kinds of interaction an application reports. Numeric values are part of stored state and of
/// the wire format: never renumber, only append.
/// </summary>
public enum InteractionType
{
    View = 0,
    Click = 1,
    AddToCart = 2,
    Purchase = 3,
    Rating = 4,
    Dismiss = 5,
}

public static class InteractionTypes
{
    public const int Count = 6;

    private static readonly string[] WireNames = ["view", "click", "add_to_cart", "purchase", "rating", "dismiss"];

    public static IReadOnlyList<string> Names => WireNames;

    public static string ToWireName(this InteractionType type) => WireNames[(int)type];

    public static bool TryParse(string? value, out InteractionType type)
    {
        for (var i = 0; i < WireNames.Length; i++)
        {
            if (string.Equals(WireNames[i], value, StringComparison.OrdinalIgnoreCase))
            {
                type = (InteractionType)i;
                return true;
            }
        }

        type = default;
        return false;
    }
}
