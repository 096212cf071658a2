using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cohortly.Modeling.Users;

/// <summary>
/// Where an event sits in the user's ordered event log, whatever the log is: <see cref="Entry"/> and
/// <see cref="Sequence"/> are the log entry's id as two ordered numbers (Redis streams: milliseconds and sequence),
/// <see cref="Index"/> the event's place within the entry. A user's events come from one log partition, so positions
/// only grow; <c>default</c> sorts before every real position.
/// </summary>
[JsonConverter(typeof(LogPositionJsonConverter))]
public readonly record struct LogPosition(ulong Entry, ulong Sequence, int Index) : IComparable<LogPosition>
{
    public int CompareTo(LogPosition other)
    {
        var byEntry = Entry.CompareTo(other.Entry);
        if (byEntry != 0)
        {
            return byEntry;
        }

        var bySequence = Sequence.CompareTo(other.Sequence);
        return bySequence != 0 ? bySequence : Index.CompareTo(other.Index);
    }

    public static bool operator <(LogPosition left, LogPosition right) => left.CompareTo(right) < 0;

    public static bool operator >(LogPosition left, LogPosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(LogPosition left, LogPosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(LogPosition left, LogPosition right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Entry}-{Sequence}#{Index}");
}

/// <summary>
/// Writes <c>{"Entry":…,"Sequence":…,"Index":…}</c>; also reads the shape user states were stored with while the
/// state held the Redis position itself (<c>{"EntryId":{"Milliseconds":…,"Sequence":…},"EventIndex":…}</c>), so
/// states written before the position became backend-neutral keep their dedupe point.
/// </summary>
public sealed class LogPositionJsonConverter : JsonConverter<LogPosition>
{
    public override LogPosition Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A log position must be a JSON object.");
        }

        ulong entry = 0, sequence = 0;
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "Entry":
                    entry = reader.GetUInt64();
                    break;
                case "Sequence":
                    sequence = reader.GetUInt64();
                    break;
                case "Index" or "EventIndex":
                    index = reader.GetInt32();
                    break;
                case "EntryId" when reader.TokenType == JsonTokenType.StartObject:
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var inner = reader.GetString();
                        reader.Read();
                        if (inner == "Milliseconds")
                        {
                            entry = reader.GetUInt64();
                        }
                        else if (inner == "Sequence")
                        {
                            sequence = reader.GetUInt64();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new LogPosition(entry, sequence, index);
    }

    public override void Write(Utf8JsonWriter writer, LogPosition value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("Entry", value.Entry);
        writer.WriteNumber("Sequence", value.Sequence);
        writer.WriteNumber("Index", value.Index);
        writer.WriteEndObject();
    }
}
