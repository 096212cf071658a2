using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cohortly.TestSupport;

/// <summary>The API refused events or items the caller expected it to take (a bench number or a test over them would be wrong).</summary>
public sealed class CohortlyApiException(string message) : Exception(message);

/// <summary>One recommendations answer, as much of it as tests and benches read.</summary>
public sealed record RecommendationsAnswer(IReadOnlyList<string> Items, long? ModelVersion, int? CohortId, string? Strategy, bool Fallback);

/// <summary>How a training run ended: its last status (the JSON of GET /v1/admin/training) and how long the wait took.</summary>
public sealed record TrainingRun(JsonNode Status, TimeSpan Waited)
{
    public string State => Status["state"]?.GetValue<string>() ?? "unknown";

    public bool Succeeded => State == "succeeded";

    /// <summary>The version the run produced (null unless it succeeded).</summary>
    public long? Version => Succeeded && Status["lastVersion"] is JsonValue v && v.TryGetValue<long>(out var version) ? version : null;
}

/// <summary>
/// The gateway's API as the tests and the benches call it: the app key on the client, the admin key per request.
/// Event batches are retried on 503 (backpressure) after the server's Retry-After and resent unchanged (event ids
/// make the retry idempotent). One copy of the request and wait code (training, serving a version), so a change in
/// the API is followed in one place.
/// </summary>
public sealed class CohortlyApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _adminKey;
    private readonly bool _ownsHttp;
    private long _retries;

    /// <param name="http">A client whose default headers carry the app key (e.g. a WebApplicationFactory client).</param>
    public CohortlyApiClient(HttpClient http, string? adminKey, bool ownsHttp = false)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _adminKey = adminKey;
        _ownsHttp = ownsHttp;
    }

    /// <summary>A client of its own for a gateway on loopback (benches), with room for <paramref name="connections"/> concurrent requests.</summary>
    public static CohortlyApiClient ForLoopback(string url, string appKey, string? adminKey, int connections, TimeSpan? timeout = null)
    {
        if (!IsLoopback(url))
        {
            throw new ArgumentException("the bench targets loopback only (http://localhost, http://127.x.x.x or http://[::1])");
        }

        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(2, connections * 2), PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(url),
            Timeout = timeout ?? TimeSpan.FromSeconds(120),
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", appKey);
        return new CohortlyApiClient(http, adminKey, ownsHttp: true);
    }

    /// <summary>Event batches answered 503 and resent.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public HttpClient Http => _http;

    public static bool IsLoopback(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.StartsWith("http://127.", StringComparison.Ordinal) || url.StartsWith("http://localhost", StringComparison.Ordinal) || url.StartsWith("http://[::1]", StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>PUT /v1/items in batches of 1000 (admin key); each item is a JSON object as the API takes it.</summary>
    public async Task<int> PutItemsAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
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
                throw new CohortlyApiException($"PUT /v1/items answered {(int)response.StatusCode}: {Truncate(await response.Content.ReadAsStringAsync(cancellationToken))}");
            }
        }

        return items.Count;
    }

    /// <summary>POST /v1/events; waits and resends on 503; throws when any of the <paramref name="count"/> events is rejected.</summary>
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
                throw new CohortlyApiException($"POST /v1/events answered {(int)response.StatusCode} after {attempt} retries: {Truncate(text)}");
            }

            var result = JsonNode.Parse(text)!;
            var accepted = result["accepted"]!.GetValue<int>();
            var rejected = result["rejected"]?.GetValue<int>() ?? 0;
            if (rejected > 0 || accepted != count)
            {
                throw new CohortlyApiException($"POST /v1/events accepted {accepted} of {count} events: {Truncate(result["errors"]?.ToJsonString() ?? text)}");
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

    /// <summary>GET /v1/users/{id}: the profile, or null when the user is unknown (404).</summary>
    public async Task<JsonNode?> ProfileAsync(string userId, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"/v1/users/{Uri.EscapeDataString(userId)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken))!;
    }

    /// <summary>Total events the user's profile has applied, or null when the user is unknown (404).</summary>
    public async Task<long?> ProfileEventsAsync(string userId, CancellationToken cancellationToken)
    {
        if (await ProfileAsync(userId, cancellationToken) is not { } node)
        {
            return null;
        }

        var total = 0L;
        foreach (var (_, value) in node["counts"]!.AsObject())
        {
            total += value!.GetValue<long>();
        }

        return total;
    }

    /// <summary>GET /v1/admin/stats: activations per grain type and the gateway process's memory, CPU and GC counters.</summary>
    public Task<JsonNode> StatsAsync(CancellationToken cancellationToken) => AdminGetAsync("/v1/admin/stats", cancellationToken);

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

    /// <summary>POST with a JSON body and the admin key; the status and the parsed body (null when not JSON).</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> AdminPostJsonAsync(string path, JsonNode body, CancellationToken cancellationToken)
    {
        using var request = Admin(HttpMethod.Post, path);
        request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
        }
        catch (JsonException)
        {
            return (response.StatusCode, null);
        }
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

    /// <summary>
    /// Starts a training run (POST /v1/admin/training; a 409 joins the run in progress) and waits until it ended,
    /// polling its status. <paramref name="progress"/> sees each status read. Throws on another answer than 202, 200
    /// or 409 and when the run has not ended within <paramref name="timeout"/>.
    /// </summary>
    public async Task<TrainingRun> TrainAsync(TimeSpan timeout, Action<JsonNode>? progress, CancellationToken cancellationToken)
    {
        var before = await AdminGetAsync("/v1/admin/training", cancellationToken);
        var previousVersion = Long(before["lastVersion"]);
        var previousRun = before["runId"]?.ToString();
        var (status, started) = await AdminPostAsync("/v1/admin/training", cancellationToken);
        if (status is not (HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.Conflict))
        {
            throw new HttpRequestException($"POST /v1/admin/training answered {(int)status}: {started?.ToJsonString()}", null, status);
        }

        var ourRun = status == HttpStatusCode.Conflict ? null : started?["runId"]?.ToString();
        return await WaitForTrainingAsync(
            s =>
            {
                var run = s["runId"]?.ToString();
                return ourRun is not null ? run == ourRun : run != previousRun || Long(s["lastVersion"]) != previousVersion;
            },
            timeout,
            progress,
            cancellationToken);
    }

    /// <summary>Polls GET /v1/admin/training until a status that <paramref name="isTheRun"/> accepts says succeeded or failed.</summary>
    public async Task<TrainingRun> WaitForTrainingAsync(Func<JsonNode, bool> isTheRun, TimeSpan timeout, Action<JsonNode>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(isTheRun);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var s = await AdminGetAsync("/v1/admin/training", cancellationToken);
            progress?.Invoke(s);
            var state = s["state"]?.GetValue<string>();
            if (state is "succeeded" or "failed" && isTheRun(s))
            {
                return new TrainingRun(s, watch.Elapsed);
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"training still {state} after {timeout.TotalSeconds:F0}s: {Truncate(s.ToJsonString())}");
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>
    /// Waits until <paramref name="userId"/>'s recommendations report <paramref name="version"/> (silos load an
    /// activated model shortly after): how long that took, or null when they still did not after <paramref name="timeout"/>.
    /// </summary>
    public async Task<TimeSpan?> WaitUntilServedAsync(string userId, long version, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if ((await RecommendAsync(userId, 10, explore: false, cancellationToken)).ModelVersion == version)
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > timeout)
            {
                return null;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The body of a response as JSON, whatever its status (tests assert on problems too).</summary>
    public static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static long? Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    private HttpRequestMessage Admin(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        if (_adminKey is null)
        {
            throw new ArgumentException($"an admin key is required for {method} {path}");
        }

        request.Headers.Remove("X-Api-Key");
        request.Headers.Add("X-Api-Key", _adminKey);
        return request;
    }

    private static string Truncate(string s) => s.Length <= 600 ? s : s[..600] + "…";
}
