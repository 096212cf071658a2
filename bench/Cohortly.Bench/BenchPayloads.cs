using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Events;

namespace Cohortly.Bench;

/// <summary>The request bodies the benches build from their data (data sets, replayed interactions), for <see cref="CohortlyApiClient"/>.</summary>
internal static class BenchPayloads
{
    /// <summary>A data set's catalog as PUT /v1/items items (titles and categories when it has metadata).</summary>
    public static List<JsonObject> Items(DatasetCatalog catalog)
    {
        var items = new List<JsonObject>(catalog.ItemCount);
        for (var i = 0; i < catalog.ItemCount; i++)
        {
            var meta = catalog.ItemMetadata(i);
            items.Add(Item(catalog.Items[i], meta?.Title, meta?.Categories, null, null));
        }

        return items;
    }

    public static JsonObject Item(string id, string? title, IReadOnlyList<string>? categories, IReadOnlyList<string>? tags, double? price)
    {
        var item = new JsonObject { ["id"] = id };
        if (!string.IsNullOrEmpty(title))
        {
            item["title"] = title.Length <= 512 ? title : title[..512];
        }

        item["categories"] = Labels(categories);
        item["tags"] = Labels(tags);
        if (price is { } p)
        {
            item["price"] = p;
        }

        return item;

        // The API takes at most 32 non-blank labels per list.
        static JsonArray Labels(IReadOnlyList<string>? values)
        {
            var array = new JsonArray();
            foreach (var v in values ?? [])
            {
                if (array.Count < 32 && !string.IsNullOrWhiteSpace(v))
                {
                    array.Add(v);
                }
            }

            return array;
        }
    }

    /// <summary>The JSON body of POST /v1/events for a batch.</summary>
    public static byte[] EventBody(IReadOnlyList<ReplayEvent> events, int start, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 160);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("events");
            for (var i = start; i < start + count; i++)
            {
                var e = events[i];
                WriteEvent(w, e.EventId, e.Interaction);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The JSON body of POST /v1/events for one event.</summary>
    public static byte[] EventBody(string eventId, in Interaction e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("events");
            WriteEvent(w, eventId, e);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void WriteEvent(Utf8JsonWriter w, string eventId, in Interaction e)
    {
        w.WriteStartObject();
        w.WriteString("eventId", eventId);
        w.WriteString("userId", e.UserId);
        w.WriteString("itemId", e.ItemId);
        w.WriteString("type", e.Type.ToWireName());
        if (e.Value is { } value)
        {
            w.WriteNumber("value", value);
        }

        w.WriteString("timestamp", DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs));
        if (e.Device is { } device)
        {
            w.WriteStartObject("context");
            w.WriteString("device", device);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }
}
