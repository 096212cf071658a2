using System.Text.Json;
using System.Text.Json.Serialization;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Users;

/// <summary>
/// Stores a <see cref="ServedLog"/> as the JSON array of entries the user state always had, oldest first:
/// <c>{"Id", "At", "Cohort"?, "Model"?, "Strategy"?, "Experiment"?, "Variant"?, "Items": [...], "Slots": base64 flags,
/// "Rules"?: [rule id or null per slot], "Propensities"?: [...], "Open"?: [...]}</c>, members at their default left out. An entry stored with fewer slot flags
/// than items keeps the slots it has flags for.
/// </summary>
public sealed class ServedLogJsonConverter : JsonConverter<ServedLog>
{
    public override ServedLog Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("the recent recommendations must be an array");
        }

        var entries = new List<Entry>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            entries.Add(ReadEntry(ref reader, options));
        }

        var width = ServedLog.DefaultWidth;
        foreach (var e in entries)
        {
            width = Math.Max(width, e.Count);
        }

        var capacity = Math.Max(UserStateOptions.Default.RecentRecommendations, entries.Count);
        var log = new ServedLog(capacity, width);
        foreach (var e in entries)
        {
            if (e.Count == 0)
            {
                continue;
            }

            var served = log.Add(e.Id, e.At, e.Cohort, e.Model, e.Strategy, e.Count, capacity, cutoffMs: long.MinValue);
            served.Experiment = e.Experiment;
            served.Variant = e.Variant;
            for (var i = 0; i < e.Count; i++)
            {
                var p = e.Propensities is { } ps && i < ps.Length ? ps[i] : 0f;
                var open = e.Open is { } os && i < os.Length ? os[i] : 0;
                var flags = e.Slots![i];
                var decision = p is > 0 and <= 1
                    ? new Exploration.SlotDecision(p, (flags & ServedLog.GreedyFlag) != 0, (flags & ServedLog.OpenEligibleFlag) != 0, open)
                    : default;
                var rule = e.Rules is { } rs && i < rs.Length ? rs[i] : null;
                served.SetSlot(i, e.Items![i] ?? "", (flags & ServedLog.ExploredFlag) != 0, decision, rule, (flags & ServedLog.BuyAgainFlag) != 0);
                served.AddFlags(i, flags);
            }
        }

        return log;
    }

    public override void Write(Utf8JsonWriter writer, ServedLog value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartArray();
        var widest = 0;
        for (var n = 0; n < value.Count; n++)
        {
            widest = Math.Max(widest, value[n].Count);
        }

        var flags = new byte[widest];
        for (var n = 0; n < value.Count; n++)
        {
            var e = value[n];
            writer.WriteStartObject();
            writer.WriteString("Id", e.Id);
            writer.WriteNumber("At", e.ServedAtMs);
            if (e.CohortId is { } cohort)
            {
                writer.WriteNumber("Cohort", cohort);
            }

            if (e.ModelVersion != 0)
            {
                writer.WriteNumber("Model", e.ModelVersion);
            }

            if (e.Strategy != default)
            {
                writer.WritePropertyName("Strategy");
                JsonSerializer.Serialize(writer, e.Strategy, options);
            }

            if (e.Experiment is { } experiment)
            {
                writer.WriteString("Experiment", experiment);
            }

            if (e.Variant is { } variant)
            {
                writer.WriteString("Variant", variant);
            }

            var count = e.Count;
            writer.WriteStartArray("Items");
            for (var i = 0; i < count; i++)
            {
                writer.WriteStringValue(e.ItemAt(i));
            }

            writer.WriteEndArray();
            for (var i = 0; i < count; i++)
            {
                flags[i] = e.FlagsAt(i);
            }

            writer.WriteBase64String("Slots", flags.AsSpan(0, count));
            if (e.HasRules)
            {
                writer.WriteStartArray("Rules");
                for (var i = 0; i < count; i++)
                {
                    if (e.RuleAt(i) is { } rule)
                    {
                        writer.WriteStringValue(rule);
                    }
                    else
                    {
                        writer.WriteNullValue();
                    }
                }

                writer.WriteEndArray();
            }

            if (e.HasDecisions)
            {
                writer.WriteStartArray("Propensities");
                for (var i = 0; i < count; i++)
                {
                    writer.WriteNumberValue(e.DecisionAt(i) is { IsLogged: true } d ? (float)d.Propensity : 0f);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("Open");
                for (var i = 0; i < count; i++)
                {
                    writer.WriteNumberValue(e.DecisionAt(i).Open);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static Entry ReadEntry(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a recent recommendation must be an object");
        }

        var e = new Entry();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "Id":
                    e.Id = reader.GetGuid();
                    break;
                case "At":
                    e.At = reader.GetInt64();
                    break;
                case "Cohort":
                    e.Cohort = reader.TokenType == JsonTokenType.Null ? null : reader.GetInt32();
                    break;
                case "Model":
                    e.Model = reader.GetInt64();
                    break;
                case "Strategy":
                    e.Strategy = JsonSerializer.Deserialize<ServedStrategy>(ref reader, options);
                    break;
                case "Experiment":
                    e.Experiment = reader.GetString();
                    break;
                case "Variant":
                    e.Variant = reader.GetString();
                    break;
                case "Items":
                    e.Items = JsonSerializer.Deserialize<string?[]>(ref reader, options);
                    break;
                case "Slots":
                    e.Slots = reader.TokenType == JsonTokenType.Null ? null : reader.GetBytesFromBase64();
                    break;
                case "Propensities":
                    e.Propensities = JsonSerializer.Deserialize<float[]>(ref reader, options);
                    break;
                case "Rules":
                    e.Rules = JsonSerializer.Deserialize<string?[]>(ref reader, options);
                    break;
                case "Open":
                    e.Open = JsonSerializer.Deserialize<int[]>(ref reader, options);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return e;
    }

    private sealed class Entry
    {
        public Guid Id;
        public long At;
        public int? Cohort;
        public long Model;
        public ServedStrategy Strategy;
        public string? Experiment;
        public string? Variant;
        public string?[]? Items;
        public byte[]? Slots;
        public float[]? Propensities;
        public int[]? Open;
        public string?[]? Rules;

        public int Count => Math.Min(Items?.Length ?? 0, Slots?.Length ?? 0);
    }
}
