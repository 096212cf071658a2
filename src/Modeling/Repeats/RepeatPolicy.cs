using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cohortly.Modeling.Repeats;

/// <summary>
/// Whether an item the user already bought may be recommended again ("buy again"), set per item or per category in
/// the catalog. <see cref="Never"/> is the default: a purchased item stays out of the recommendations, as it always did.
/// </summary>
[JsonConverter(typeof(RepeatPolicyJsonConverter))]
public enum RepeatPolicy
{
    /// <summary>Never recommended again once bought (durables; the default).</summary>
    Never = 0,

    /// <summary>Recommended again when its repeat cycle (the user's own, else the catalog's learned one) says it is due.</summary>
    Interval = 1,

    /// <summary>Always eligible for a buy-again slot, most recently bought first (staples).</summary>
    Always = 2,
}

/// <summary>The wire names of <see cref="RepeatPolicy"/> (<c>never</c>, <c>interval</c>, <c>always</c>), one reader for the API and the configuration.</summary>
public static class RepeatPolicies
{
    public static IReadOnlyList<string> Names { get; } = ["never", "interval", "always"];

    public static string Name(RepeatPolicy policy) => policy switch
    {
        RepeatPolicy.Interval => "interval",
        RepeatPolicy.Always => "always",
        _ => "never",
    };

    /// <summary>Parses a wire name (case-insensitive); false for anything else, including null.</summary>
    public static bool TryParse(string? name, out RepeatPolicy policy)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "never":
                policy = RepeatPolicy.Never;
                return true;
            case "interval":
                policy = RepeatPolicy.Interval;
                return true;
            case "always":
                policy = RepeatPolicy.Always;
                return true;
            default:
                policy = RepeatPolicy.Never;
                return false;
        }
    }
}

/// <summary>Reads and writes <see cref="RepeatPolicy"/> as its wire name; an unknown name is a <see cref="JsonException"/>.</summary>
public sealed class RepeatPolicyJsonConverter : JsonConverter<RepeatPolicy>
{
    public override RepeatPolicy Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && RepeatPolicies.TryParse(reader.GetString(), out var policy)
            ? policy
            : throw new JsonException($"a repeat policy is one of {string.Join(", ", RepeatPolicies.Names)}");

    public override void Write(Utf8JsonWriter writer, RepeatPolicy value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(RepeatPolicies.Name(value));
    }
}
