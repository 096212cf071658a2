using System.Buffers;
using System.Globalization;
using System.Text;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Gateway.Ingestion;

/// <summary>
/// Edge validation of incoming events and of the ids every endpoint takes: each problem names the field and the
/// reason. Numeric bounds come from <see cref="InteractionBounds"/>, which the profile and training also enforce.
/// </summary>
public static class EventValidator
{
    public const int MaxBatch = 1000;
    public const int MaxIdLength = 128;
    public const int MaxContextEntries = 16;
    public const int MaxContextValueLength = 256;

    /// <summary>Largest 0-based slot an event may name (responses hold at most 100 items today; the bound leaves room).</summary>
    public const int MaxPosition = 199;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromDays(1);
    private const string Blank = "is required and must not be blank";

    public static bool TryValidate(EventDto? dto, int index, DateTimeOffset now, out InteractionEvent? accepted, out EventError? error) =>
        TryValidate(dto, index, now, ContextSchema.Default, out accepted, out error);

    /// <summary>
    /// As above with the declared context keys: <c>device</c> keeps its field; every other declared key is normalized
    /// into the event's context (a value outside a closed key's set is an error naming <c>context.key</c>); undeclared
    /// keys are bounded in length and then ignored.
    /// </summary>
    public static bool TryValidate(EventDto? dto, int index, DateTimeOffset now, ContextSchema schema, out InteractionEvent? accepted, out EventError? error)
    {
        ArgumentNullException.ThrowIfNull(schema);
        accepted = null;
        error = null;
        var prefix = $"events[{index}]";
        if (dto is null)
        {
            error = new EventError(index, null, prefix, "event must be an object, not null");
            return false;
        }

        string? problem;
        if ((problem = CheckKey(dto.EventId)) is not null)
        {
            error = new EventError(index, dto.EventId, $"{prefix}.eventId", problem);
            return false;
        }

        if ((problem = CheckId(dto.UserId)) is not null)
        {
            error = new EventError(index, dto.EventId, $"{prefix}.userId", problem);
            return false;
        }

        if ((problem = CheckId(dto.ItemId)) is not null)
        {
            error = new EventError(index, dto.EventId, $"{prefix}.itemId", problem);
            return false;
        }

        if (!InteractionTypes.TryParse(dto.Type, out var type))
        {
            var reason = dto.Type is null ? "is required" : $"'{Truncate(dto.Type)}' is not a known type";
            error = new EventError(index, dto.EventId, $"{prefix}.type", $"{reason}; use one of {string.Join(", ", InteractionTypes.Names)}");
            return false;
        }

        if ((problem = InteractionBounds.CheckValue(type, dto.Value)) is not null)
        {
            error = new EventError(index, dto.EventId, $"{prefix}.value", problem);
            return false;
        }

        var timestamp = dto.Timestamp ?? now;
        if (timestamp > now + MaxFutureSkew)
        {
            error = new EventError(index, dto.EventId, $"{prefix}.timestamp", "must be at most 1 day in the future");
            return false;
        }

        if (timestamp < DateTimeOffset.UnixEpoch)
        {
            error = new EventError(index, dto.EventId, $"{prefix}.timestamp", "must not be before 1970-01-01");
            return false;
        }

        string? device = null;
        Dictionary<string, string>? kept = null;
        if (dto.Context is { } context)
        {
            if (context.Count > MaxContextEntries)
            {
                error = new EventError(index, dto.EventId, $"{prefix}.context", $"at most {MaxContextEntries} entries");
                return false;
            }

            foreach (var (key, value) in context)
            {
                if (key.Length > MaxIdLength || value is { Length: > MaxContextValueLength })
                {
                    error = new EventError(index, dto.EventId, $"{prefix}.context.{Truncate(key)}", $"keys are at most {MaxIdLength} and values at most {MaxContextValueLength} characters");
                    return false;
                }
            }

            device = context.GetValueOrDefault(ContextSchema.Device);
            foreach (var (key, value) in context)
            {
                if (string.Equals(key, ContextSchema.Device, StringComparison.Ordinal))
                {
                    continue;
                }

                if (schema.Check(key, value, out var name, out var normalized) is { } contextProblem)
                {
                    error = new EventError(index, dto.EventId, $"{prefix}.context.{Truncate(key)}", contextProblem);
                    return false;
                }

                if (name is not null)
                {
                    (kept ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = normalized!;
                }
            }
        }

        Guid? recommendationId = null;
        if (dto.RecommendationId is { } rid)
        {
            if ((problem = CheckRecommendationId(rid, out var parsed)) is not null)
            {
                error = new EventError(index, dto.EventId, $"{prefix}.recommendationId", problem);
                return false;
            }

            recommendationId = parsed;
        }

        if (dto.Position is { } position)
        {
            if (position is < 0 or > MaxPosition)
            {
                error = new EventError(index, dto.EventId, $"{prefix}.position", $"must be between 0 and {MaxPosition} (the item's 0-based slot in the response)");
                return false;
            }

            if (recommendationId is null)
            {
                error = new EventError(index, dto.EventId, $"{prefix}.position", "is a slot in a response, so it requires recommendationId");
                return false;
            }
        }

        accepted = new InteractionEvent(dto.EventId!, dto.UserId!, dto.ItemId!, type, dto.Value, timestamp, device, now, recommendationId, dto.Position) { Context = kept };
        return true;
    }

    /// <summary>
    /// A user or item id: 1..<see cref="MaxIdLength"/> UTF-16 code units of Unicode letters, marks, digits,
    /// punctuation and symbols (any script), except <c>/ ? # % \</c>. Ids travel in URL paths
    /// (<c>/v1/users/{userId}</c>), where a '/' cannot be carried even percent-encoded, '?' and '#' end the path for
    /// naive clients, '%' makes the encoded and decoded forms ambiguous and '\' is turned into '/' by some proxies;
    /// whitespace, control, format (zero-width, bidi) and private-use characters and unpaired surrogates make ids
    /// that look equal but are not, or cannot be written in a URL at all.
    /// </summary>
    public static string? CheckId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return Blank;
        }

        if (LengthProblem(id) is { } problem)
        {
            return problem;
        }

        var text = id.AsSpan();
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out var rune, out var used) != OperationStatus.Done)
            {
                return "must be valid Unicode text (an unpaired surrogate was found)";
            }

            if (!IsIdRune(rune))
            {
                return Rune.IsControl(rune) || Rune.IsWhiteSpace(rune) || !rune.IsAscii
                    ? $"must not contain whitespace, control, format or private-use characters (found U+{rune.Value:X4})"
                    : $"must not contain '{rune}'; ids are letters, digits, punctuation and symbols except / ? # % \\";
            }

            text = text[used..];
        }

        return null;
    }

    /// <summary>
    /// A recommendation id as GET /v1/users/{userId}/recommendations returns it: 32 hexadecimal digits (a Guid in
    /// "N" format), nothing else.
    /// </summary>
    public static string? CheckRecommendationId(string id, out Guid parsed)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length == 32 && Guid.TryParseExact(id, "N", out parsed))
        {
            return null;
        }

        parsed = default;
        return "must be a recommendation id as the recommendations response returns it (32 hexadecimal digits)";
    }

    /// <summary>An event id or a catalog label: 1..<see cref="MaxIdLength"/> characters, not blank, no control characters.</summary>
    public static string? CheckKey(string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return Blank;
        }

        if (LengthProblem(key) is { } problem)
        {
            return problem;
        }

        foreach (var ch in key)
        {
            if (char.IsControl(ch))
            {
                return "must not contain control characters";
            }
        }

        return null;
    }

    private static string? LengthProblem(string id) => id.Length > MaxIdLength ? $"must be at most {MaxIdLength} characters (got {id.Length})" : null;

    private static bool IsIdRune(Rune rune)
    {
        if (rune.IsAscii)
        {
            var c = (char)rune.Value;
            return c is > ' ' and < (char)0x7F and not ('/' or '?' or '#' or '%' or '\\');
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator => false,
            _ => true,
        };
    }

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "…";
}
