using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Events;

namespace Cohortly.Bench;

/// <summary>A rejected event or item: the bench stops, because a parity number over a partial replay would be wrong.</summary>
internal sealed class ReplayRejectedException(string message) : Exception(message);

/// <summary>One recommendations answer, as much of it as the benches read.</summary>
internal sealed record RecommendationsAnswer(IReadOnlyList<string> Items, long? ModelVersion, int? CohortId, string? Strategy, bool Fallback);

/// <summary>
/// The gateway calls the replay and freshness benches make: app key on the client, admin key per request. Event
/// batches are retried on 503 (backpressure) after the server's Retry-After, and resent unchanged (event ids make
/// the retry idempotent).
/// </summary>
internal sealed class CohortlyHttp : IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _adminKey;
    private long _retries;

    public CohortlyHttp(string url, string appKey, string? adminKey, int connections, TimeSpan? timeout = null)
    {
        if (!IsLoopback(url))
        {
            throw new ArgumentException("the bench targets loopback only (http://localhost, http://127.x.x.x or http://[::1])");
        }

        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(2, connections * 2), PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(url),
            Timeout = timeout ?? TimeSpan.FromSeconds(120),
        };
        _http.DefaultRequestHeaders.Add("X-Api-Key", appKey);
        _adminKey = adminKey;
    }

    /// <summary>Event batches answered 503 and resent.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public static bool IsLoopback(string url) =>
        url.StartsWith("http://127.", StringComparison.Ordinal) || url.StartsWith("http://localhost", StringComparison.Ordinal) || url.StartsWith("http://[::1]", StringComparison.Ordinal);

    public void Dispose() => _http.Dispose();

    /// <summary>PUT /v1/items of a data set's catalog (titles and categories when it has metadata).</summary>
    public Task<int> PutItemsAsync(DatasetCatalog catalog, CancellationToken cancellationToken)
    {
        var items = new List<JsonObject>(catalog.ItemCount);
        for (var i = 0; i < catalog.ItemCount; i++)
        {
            var meta = catalog.ItemMetadata(i);
            items.Add(Item(catalog.Items[i], meta?.Title, meta?.Categories, null, null));
        }

        return PutItemsAsync(items, cancellationToken);
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

    /// <summary>PUT /v1/items in batches of 1000 (admin key).</summary>
    public async Task<int> PutItemsAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        for (var start = 0; start < items.Count; start += 1000)
        {
            var array = new JsonArray();
            for (var i = start; i < Math.Min(items.Count, start + 1000); i++)
            {
                array.Add(items[i].DeepClone());
            }

            using var request = Admin(HttpMethod.Put, "/v1/items");
            request.Content = JsonContent.Create(new JsonObject { ["items"] = array });
            using var response = await _http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new ReplayRejectedException($"PUT /v1/items answered {(int)response.StatusCode}: {Truncate(await response.Content.ReadAsStringAsync(cancellationToken))}");
            }
        }

        return items.Count;
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

    /// <summary>POST /v1/events; waits and resends on 503; throws when any event is rejected.</summary>
    public async Task<int> PostEventsAsync(byte[] body, int count, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await _http.PostAsync("/v1/events", content, cancellationToken);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 2000)
            {
                Interlocked.Increment(ref _retries);
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                // Retry-After is whole seconds; the backlog usually drains sooner, so poll at a fraction of it.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(wait.TotalMilliseconds / 4, 50, 1000)), cancellationToken);
                continue;
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw new ReplayRejectedException($"POST /v1/events answered {(int)response.StatusCode} after {attempt} retries: {Truncate(text)}");
            }

            var result = JsonNode.Parse(text)!;
            var accepted = result["accepted"]!.GetValue<int>();
            var rejected = result["rejected"]?.GetValue<int>() ?? 0;
            if (rejected > 0 || accepted != count)
            {
                throw new ReplayRejectedException($"POST /v1/events accepted {accepted} of {count} events: {Truncate(result["errors"]?.ToJsonString() ?? text)}");
            }

            return accepted;
        }
    }

    /// <summary>
    /// POST /v1/events once, without retrying: the status code (0 when no answer came: the events may or may not be
    /// stored) and the batch positions the gateway did not accept (all of them unless it answered 202).
    /// </summary>
    public async Task<(int Status, IReadOnlyList<int> NotAccepted)> TryPostEventsAsync(byte[] body, int count, CancellationToken cancellationToken)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await _http.PostAsync("/v1/events", content, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return ((int)response.StatusCode, Enumerable.Range(0, count).ToArray());
            }

            var notAccepted = new List<int>();
            foreach (var error in JsonNode.Parse(text)!["errors"]?.AsArray() ?? [])
            {
                notAccepted.Add(error!["index"]!.GetValue<int>());
            }

            return (202, notAccepted);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (0, Enumerable.Range(0, count).ToArray());
        }
    }

    /// <summary>POST one event and return when the gateway answered (the freshness clock starts before this call).</summary>
    public async Task PostEventAsync(string eventId, Interaction e, CancellationToken cancellationToken)
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

        await PostEventsAsync(buffer.WrittenSpan.ToArray(), 1, cancellationToken);
    }

    public async Task<RecommendationsAnswer> RecommendAsync(string userId, int count, bool explore, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"/v1/users/{Uri.EscapeDataString(userId)}/recommendations?count={count}&explore={(explore ? "true" : "false")}");
        using var response = await _http.GetAsync(path, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}: {Truncate(text)}", null, response.StatusCode);
        }

        var node = JsonNode.Parse(text)!;
        var items = new List<string>();
        foreach (var item in node["items"]!.AsArray())
        {
            items.Add(item!["itemId"]!.GetValue<string>());
        }

        return new RecommendationsAnswer(
            items,
            node["modelVersion"] is JsonValue v ? v.GetValue<long>() : null,
            node["cohortId"] is JsonValue c ? c.GetValue<int>() : null,
            node["strategy"]?.GetValue<string>(),
            node["fallback"] is JsonValue f && f.GetValue<bool>());
    }

    /// <summary>Total events the user's profile has applied, or null when the user is unknown (404).</summary>
    public async Task<long?> ProfileEventsAsync(string userId, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"/v1/users/{Uri.EscapeDataString(userId)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var node = (await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken))!;
        var total = 0L;
        foreach (var (_, value) in node["counts"]!.AsObject())
        {
            total += value!.GetValue<long>();
        }

        return total;
    }

    public async Task<JsonNode> AdminGetAsync(string path, CancellationToken cancellationToken)
    {
        using var request = Admin(HttpMethod.Get, path);
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}: {Truncate(text)}", null, response.StatusCode);
        }

        return JsonNode.Parse(text)!;
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body)> AdminPostAsync(string path, CancellationToken cancellationToken)
    {
        using var request = Admin(HttpMethod.Post, path);
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? body = null;
        try
        {
            body = text.Length > 0 ? JsonNode.Parse(text) : null;
        }
        catch (JsonException)
        {
            // A non-JSON error body is reported by the caller through the status code.
        }

        return (response.StatusCode, body);
    }

    private HttpRequestMessage Admin(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        if (_adminKey is null)
        {
            throw new ArgumentException($"--admin-key is required for {method} {path}");
        }

        request.Headers.Remove("X-Api-Key");
        request.Headers.Add("X-Api-Key", _adminKey);
        return request;
    }

    private static string Truncate(string s) => s.Length <= 600 ? s : s[..600] + "…";
}
