using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Gateway.Ingestion;

/// <summary>Edge validation of incoming events: each problem names the field and the reason.</summary>
public static class EventValidator
{
    public const int MaxBatch = 1000;
    public const int MaxIdLength = 128;
    public const int MaxContextEntries = 16;
    public const int MaxContextValueLength = 256;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromDays(1);

    public static bool TryValidate(EventDto? dto, int index, DateTimeOffset now, out InteractionEvent? accepted, out EventError? error)
    {
        accepted = null;
        error = null;
        var prefix = $"events[{index}]";
        if (dto is null)
        {
            error = new EventError(index, null, prefix, "event must be an object, not null");
            return false;
        }

        string? problem;
        if ((problem = CheckId(dto.EventId)) is not null)
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

        if ((problem = CheckValue(type, dto.Value)) is not null)
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

            device = context.GetValueOrDefault("device");
        }

        accepted = new InteractionEvent(dto.EventId!, dto.UserId!, dto.ItemId!, type, dto.Value, timestamp, device, now);
        return true;
    }

    public static string? CheckId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return "is required and must not be blank";
        }

        if (id.Length > MaxIdLength)
        {
            return $"must be at most {MaxIdLength} characters";
        }

        foreach (var ch in id)
        {
            if (char.IsControl(ch))
            {
                return "must not contain control characters";
            }
        }

        return null;
    }

    private static string? CheckValue(InteractionType type, double? value)
    {
        if (value is not { } v)
        {
            return type == InteractionType.Rating ? "is required for rating events" : null;
        }

        if (!double.IsFinite(v))
        {
            return "must be a finite number";
        }

        if (type == InteractionType.Purchase && v < 0)
        {
            return "purchase value must not be negative";
        }

        return null;
    }

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "…";
}
