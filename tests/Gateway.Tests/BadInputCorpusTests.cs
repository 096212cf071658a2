using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using static Cohortly.TestSupport.CohortlyApiClient;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// One request of the bad-input corpus. <paramref name="Status"/> null: any answer below 500 will do (admin calls
/// whose outcome depends on timing). <paramref name="Field"/>: what a rejection must name, in <c>errors</c> (validation)
/// or in the <c>field</c> extension (other problems). <paramref name="Trains"/>: users the request adds to the log.
/// </summary>
public sealed record CorpusCase(string Name, HttpMethod Method, string Url, string? Body, bool Admin, int? Status, string? Field, string? ContentType = "application/json")
{
    public IReadOnlyList<string> Trains { get; init; } = [];

    /// <summary>Run after the whole corpus: the state the request must (not) have left.</summary>
    public Func<HttpClient, HttpClient, Task>? After { get; init; }

    public override string ToString() => Name;
}

/// <summary>
/// Over a hundred bad, hostile and extreme-but-valid requests over every write endpoint, against one gateway with a
/// seeded synthetic shop. For each: no 5xx, every rejection a problem naming its field, nothing changed by a rejected
/// request; after all of them, training and re-clustering still succeed and training skipped no row.
/// </summary>
public sealed class BadInputCorpusTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private const string AttrUser = "corpus-attr";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static int _eventIds;

    private static string Id() => $"c-{Interlocked.Increment(ref _eventIds)}";

    /// <summary>A valid view for <paramref name="user"/>, then <paramref name="change"/> applied to it.</summary>
    private static JsonObject Ev(string user, Action<JsonObject>? change = null)
    {
        var e = new JsonObject { ["eventId"] = Id(), ["userId"] = user, ["itemId"] = "corpus-item", ["type"] = "view" };
        change?.Invoke(e);
        return e;
    }

    private static string Batch(params JsonNode?[] events) => new JsonObject { ["events"] = new JsonArray(events) }.ToJsonString();

    private static Func<HttpClient, HttpClient, Task> NoProfile(string user) => async (app, _) =>
        Assert.True(HttpStatusCode.NotFound == (await app.GetAsync($"/v1/users/{Uri.EscapeDataString(user)}")).StatusCode, $"rejected user {user} has a profile");

    private static Func<HttpClient, HttpClient, Task> NoItem(string item) => async (_, admin) =>
        Assert.True(HttpStatusCode.NotFound == (await admin.GetAsync($"/v1/items/{Uri.EscapeDataString(item)}")).StatusCode, $"rejected item {item} is in the catalog");

    /// <summary>A batch whose only event is rejected at <c>events[0].{field}</c>; its user must never get a profile.</summary>
    private static CorpusCase BadEvent(string name, string field, Action<JsonObject> change)
    {
        var user = "rej-" + name.Replace(' ', '-');
        var e = Ev(user, change);
        return new CorpusCase($"events: {name}", HttpMethod.Post, "/v1/events", Batch(e), false, 400, $"events[0].{field}") { After = e["userId"]?.GetValueKind() == System.Text.Json.JsonValueKind.String && EventValidatorAllows(e["userId"]!.GetValue<string>()) ? NoProfile(e["userId"]!.GetValue<string>()) : null };
    }

    private static bool EventValidatorAllows(string id) => Cohortly.Gateway.Ingestion.EventValidator.CheckId(id) is null;

    private static CorpusCase RawEvents(string name, string json, string field, int status = 400) =>
        new($"events: {name}", HttpMethod.Post, "/v1/events", json, false, status, field);

    private static CorpusCase BadItem(string name, string field, JsonObject item)
    {
        var id = item["id"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;
        return new CorpusCase($"items: {name}", HttpMethod.Put, "/v1/items", new JsonObject { ["items"] = new JsonArray(item) }.ToJsonString(), true, 400, field)
        {
            After = id is not null && EventValidatorAllows(id) ? NoItem(id) : null,
        };
    }

    private static CorpusCase BadAttributes(string name, string field, string body, string user = AttrUser, int status = 400, string? contentType = "application/json") =>
        new($"attributes: {name}", HttpMethod.Put, $"/v1/users/{user}/attributes", body, false, status, field, contentType);

    private static CorpusCase BadQuery(string name, string url, string field, bool admin = false, HttpMethod? method = null, int status = 400) =>
        new($"query: {name}", method ?? HttpMethod.Get, url, null, admin, status, field, null);

    public static IReadOnlyList<CorpusCase> Cases()
    {
        var tooLongId = new string('u', 129);
        var atLimitId = new string('m', 128);
        var cases = new List<CorpusCase>
        {
            // --- events: values (the 1e308 poisoning and every numeric bound) ---
            RawEvents("two purchases of 1e308", Batch(Ev("rej-whale", e => { e["type"] = "purchase"; e["value"] = 1e308; }), Ev("rej-whale", e => { e["type"] = "purchase"; e["value"] = 1e308; })), "events[1].value") with { After = NoProfile("rej-whale") },
            BadEvent("purchase value double max", "value", e => { e["type"] = "purchase"; e["value"] = double.MaxValue; }),
            BadEvent("purchase value just above 1e9", "value", e => { e["type"] = "purchase"; e["value"] = 1_000_000_000.01; }),
            BadEvent("purchase value negative", "value", e => { e["type"] = "purchase"; e["value"] = -1; }),
            BadEvent("purchase value negative tiny", "value", e => { e["type"] = "purchase"; e["value"] = -1e-300; }),
            RawEvents("purchase value 1e400 literal", """{"events":[{"eventId":"x400","userId":"rej-1e400","itemId":"i","type":"purchase","value":1e400}]}""", "events[0].value") with { After = NoProfile("rej-1e400") },
            RawEvents("value NaN as string", """{"events":[{"eventId":"xnan","userId":"rej-nan","itemId":"i","type":"purchase","value":"NaN"}]}""", "events[0].value"),
            RawEvents("value Infinity as string", """{"events":[{"eventId":"xinf","userId":"rej-inf","itemId":"i","type":"purchase","value":"Infinity"}]}""", "events[0].value"),
            RawEvents("value as boolean", """{"events":[{"eventId":"xb","userId":"rej-bool","itemId":"i","type":"purchase","value":true}]}""", "events[0].value"),
            RawEvents("value as object", """{"events":[{"eventId":"xo","userId":"rej-obj","itemId":"i","type":"purchase","value":{}}]}""", "events[0].value"),
            BadEvent("rating above 10", "value", e => { e["type"] = "rating"; e["value"] = 10.5; }),
            BadEvent("rating negative", "value", e => { e["type"] = "rating"; e["value"] = -0.5; }),
            BadEvent("rating 1e308", "value", e => { e["type"] = "rating"; e["value"] = 1e308; }),
            BadEvent("rating without value", "value", e => e["type"] = "rating"),
            BadEvent("view value negative", "value", e => e["value"] = -5),
            BadEvent("click value above max", "value", e => { e["type"] = "click"; e["value"] = 2e9; }),
            BadEvent("add to cart value 1e308", "value", e => { e["type"] = "add_to_cart"; e["value"] = 1e308; }),
            BadEvent("dismiss value negative huge", "value", e => { e["type"] = "dismiss"; e["value"] = -1e308; }),
            BadEvent("recommendation id too short", "recommendationId", e => { e["type"] = "click"; e["recommendationId"] = "0190f3a2"; }),
            BadEvent("recommendation id with dashes", "recommendationId", e => { e["type"] = "click"; e["recommendationId"] = "0190f3a2-c1d2-4b7e-8a9b-0c1d2e3f4a5b"; }),
            BadEvent("recommendation id not hex", "recommendationId", e => { e["type"] = "click"; e["recommendationId"] = "zz90f3a2c1d24b7e8a9b0c1d2e3f4a5b"; }),
            BadEvent("recommendation id blank", "recommendationId", e => { e["type"] = "click"; e["recommendationId"] = ""; }),
            BadEvent("position negative", "position", e => { e["type"] = "click"; e["recommendationId"] = "0190f3a2c1d24b7e8a9b0c1d2e3f4a5b"; e["position"] = -1; }),
            BadEvent("position 200", "position", e => { e["type"] = "click"; e["recommendationId"] = "0190f3a2c1d24b7e8a9b0c1d2e3f4a5b"; e["position"] = 200; }),
            BadEvent("position without recommendation id", "position", e => { e["type"] = "click"; e["position"] = 0; }),

            // --- events: batch shape ---
            RawEvents("only a null event", """{"events":[null]}""", "events[0]"),
            RawEvents("two null events", """{"events":[null,null]}""", "events[1]"),
            RawEvents("a number instead of an event", """{"events":[42]}""", "events[0]"),
            RawEvents("a string instead of an event", """{"events":["view"]}""", "events[0]"),
            RawEvents("events is an object", """{"events":{}}""", "events"),
            RawEvents("events is a string", """{"events":"all"}""", "events"),
            RawEvents("events is empty", """{"events":[]}""", "events"),
            RawEvents("events missing", """{}""", "events"),
            RawEvents("1001 events", Batch([.. Enumerable.Range(0, 1001).Select(_ => (JsonNode?)Ev("rej-1001"))]), "events") with { After = NoProfile("rej-1001") },
            RawEvents("body is null", "null", "body"),
            RawEvents("body is an array", "[]", "body"),
            RawEvents("body truncated", """{"events":[{"eventId":"t","userId":"rej-trunc" """, "events[0]") with { After = NoProfile("rej-trunc") },
            RawEvents("body is not JSON", "eventId=1&userId=2", "body"),
            new("events: text/plain body", HttpMethod.Post, "/v1/events", Batch(Ev("rej-plain")), false, 415, "Content-Type", "text/plain") { After = NoProfile("rej-plain") },
            RawEvents("body over 2 MiB", Batch(Ev("rej-big", e => e["context"] = new JsonObject { ["pad"] = new string(' ', 3 * 1024 * 1024) })), "body", 413) with { After = NoProfile("rej-big") },

            // --- events: ids ---
            BadEvent("event id missing", "eventId", e => e.Remove("eventId")),
            BadEvent("event id blank", "eventId", e => e["eventId"] = "   "),
            BadEvent("event id 129 chars", "eventId", e => e["eventId"] = new string('e', 129)),
            BadEvent("event id with control char", "eventId", e => e["eventId"] = "e\u0007"),
            BadEvent("event id number", "eventId", e => e["eventId"] = 7),
            BadEvent("user id with slash", "userId", e => e["userId"] = "a/b"),
            BadEvent("user id with question mark", "userId", e => e["userId"] = "a?b"),
            BadEvent("user id with hash", "userId", e => e["userId"] = "a#b"),
            BadEvent("user id with percent", "userId", e => e["userId"] = "50%"),
            BadEvent("user id with backslash", "userId", e => e["userId"] = "a\\b"),
            BadEvent("user id with space", "userId", e => e["userId"] = "a b"),
            BadEvent("user id blank", "userId", e => e["userId"] = " "),
            BadEvent("user id missing", "userId", e => e.Remove("userId")),
            BadEvent("user id zero-width space", "userId", e => e["userId"] = "a\u200bb"),
            BadEvent("user id right-to-left override", "userId", e => e["userId"] = "a\u202eb"),
            BadEvent("user id private use", "userId", e => e["userId"] = "a\ue000"),
            BadEvent("user id non-breaking space", "userId", e => e["userId"] = "a\u00a0b"),
            BadEvent("user id newline", "userId", e => e["userId"] = "a\nb"),
            BadEvent("user id 129 chars", "userId", e => e["userId"] = tooLongId),
            BadEvent("user id 10 KB", "userId", e => e["userId"] = new string('k', 10 * 1024)),
            BadEvent("user id number", "userId", e => e["userId"] = 12),
            RawEvents("user id unpaired surrogate", """{"events":[{"eventId":"sur","userId":"a\ud800b","itemId":"i","type":"view"}]}""", "events[0].userId"),
            BadEvent("item id with slash", "itemId", e => e["itemId"] = "x/y"),
            BadEvent("item id missing", "itemId", e => e.Remove("itemId")),
            BadEvent("item id with tab", "itemId", e => e["itemId"] = "x\ty"),
            BadEvent("item id 129 chars", "itemId", e => e["itemId"] = new string('i', 129)),

            // --- events: type, time, context ---
            BadEvent("unknown type", "type", e => e["type"] = "teleport"),
            BadEvent("type missing", "type", e => e.Remove("type")),
            BadEvent("type as number", "type", e => e["type"] = 3),
            BadEvent("timestamp in year 3000", "timestamp", e => e["timestamp"] = "3000-01-01T00:00:00Z"),
            BadEvent("timestamp 25 hours ahead", "timestamp", e => e["timestamp"] = Now.AddHours(25)),
            BadEvent("timestamp before 1970", "timestamp", e => e["timestamp"] = "1969-12-31T23:59:59Z"),
            BadEvent("timestamp year 1", "timestamp", e => e["timestamp"] = "0001-01-01T00:00:00Z"),
            BadEvent("timestamp not a date", "timestamp", e => e["timestamp"] = "yesterday"),
            BadEvent("timestamp as number", "timestamp", e => e["timestamp"] = 1700000000),
            BadEvent("context with 17 entries", "context", e => e["context"] = new JsonObject(Enumerable.Range(0, 17).Select(i => KeyValuePair.Create($"k{i}", (JsonNode?)"v")))),
            BadEvent("context value 257 chars", "context.device", e => e["context"] = new JsonObject { ["device"] = new string('d', 257) }),
            BadEvent("context value a number", "context.device", e => e["context"] = new JsonObject { ["device"] = 5 }),
            BadEvent("context is an array", "context", e => e["context"] = new JsonArray()),

            // --- events: a mixed batch keeps its valid item ---
            new("events: valid item next to a null and a 1e308", HttpMethod.Post, "/v1/events", Batch(Ev("mixed-ok"), null, Ev("rej-mixed", e => { e["type"] = "purchase"; e["value"] = 1e308; })), false, 202, null)
            {
                Trains = ["mixed-ok"],
                After = async (app, _) =>
                {
                    await NoProfile("rej-mixed")(app, null!);
                    await Eventually.True(async () => (await app.GetAsync("/v1/users/mixed-ok")).StatusCode == HttpStatusCode.OK, "the valid item of the mixed batch is applied");
                },
            },

            // --- events: extreme but valid ---
            new("events: two purchases at exactly 1e9", HttpMethod.Post, "/v1/events", Batch(Ev("max-spender", e => { e["type"] = "purchase"; e["value"] = 1e9; }), Ev("max-spender", e => { e["type"] = "purchase"; e["value"] = 1e9; })), false, 202, null)
            {
                Trains = ["max-spender"],
                After = async (app, _) => await Eventually.True(
                    async () => (await app.GetAsync("/v1/users/max-spender")) is { IsSuccessStatusCode: true } r && JsonNode.Parse(await r.Content.ReadAsStringAsync())!["monetary"]!.GetValue<double>() == 2e9,
                    "both maximum purchases count and the profile reads"),
            },
            new("events: ratings at 0 and 10, purchase of 0", HttpMethod.Post, "/v1/events", Batch(Ev("edge-rater", e => { e["type"] = "rating"; e["value"] = 0; }), Ev("edge-rater", e => { e["type"] = "rating"; e["value"] = 10; e["itemId"] = "corpus-item-2"; }), Ev("edge-rater", e => { e["type"] = "purchase"; e["value"] = 0; })), false, 202, null) { Trains = ["edge-rater"] },
            new("events: 1000 events in one batch", HttpMethod.Post, "/v1/events", Batch([.. Enumerable.Range(0, 1000).Select(i => (JsonNode?)Ev($"bulk-{i % 10}", e => e["itemId"] = $"bulk-item-{i % 97}"))]), false, 202, null) { Trains = [.. Enumerable.Range(0, 10).Select(i => $"bulk-{i}")] },
            new("events: unicode ids", HttpMethod.Post, "/v1/events", Batch(Ev("Zoë-用户-🛒", e => e["itemId"] = "café-Ω")), false, 202, null)
            {
                Trains = ["Zoë-用户-🛒"],
                After = async (app, _) => await Eventually.True(async () => (await app.GetAsync($"/v1/users/{Uri.EscapeDataString("Zoë-用户-🛒")}")).StatusCode == HttpStatusCode.OK, "the unicode user reads back by URL"),
            },
            new("events: ids of exactly 128 characters", HttpMethod.Post, "/v1/events", Batch(Ev(atLimitId, e => { e["itemId"] = atLimitId; e["eventId"] = atLimitId; })), false, 202, null)
            {
                Trains = [atLimitId],
                After = async (app, _) => await Eventually.True(async () => (await app.GetAsync($"/v1/users/{atLimitId}")).StatusCode == HttpStatusCode.OK, "the 128-character user reads back"),
            },
            new("events: punctuation ids", HttpMethod.Post, "/v1/events", Batch(Ev("user:42@shop.example+x", e => e["itemId"] = "sku_1-2.3~(red)")), false, 202, null) { Trains = ["user:42@shop.example+x"] },
            new("events: timestamp 23 hours ahead", HttpMethod.Post, "/v1/events", Batch(Ev("future-user", e => e["timestamp"] = Now.AddHours(23))), false, 202, null) { Trains = ["future-user"] },

            // --- user attributes ---
            BadAttributes("body is an array", "body", "[]"),
            BadAttributes("body is null", "body", "null"),
            BadAttributes("value is a number", "country", """{"country":49}"""),
            BadAttributes("value is null", "country", """{"country":null}"""),
            BadAttributes("value is empty", "country", """{"country":""}"""),
            BadAttributes("value 129 chars", "country", $$"""{"country":"{{new string('c', 129)}}"}"""),
            BadAttributes("value with control char", "country", """{"country":"N\u0000L"}"""),
            BadAttributes("name with a space", "bad name", """{"bad name":"x"}"""),
            BadAttributes("name 65 chars", new string('n', 65), $$"""{"{{new string('n', 65)}}":"x"}"""),
            BadAttributes("33 attributes", "body", new JsonObject(Enumerable.Range(0, 33).Select(i => KeyValuePair.Create($"a{i}", (JsonNode?)"v"))).ToJsonString()),
            BadAttributes("body over 16 KiB", "body", $$"""{"a":"{{new string('x', 20 * 1024)}}"}""", status: 413),
            BadAttributes("text/plain body", "Content-Type", """{"country":"DE"}""", status: 415, contentType: "text/plain"),
            BadAttributes("user id with encoded slash", "userId", """{"country":"DE"}""", user: "a%2Fb"),
            BadAttributes("user id with space", "userId", """{"country":"DE"}""", user: "a%20b"),
            BadAttributes("user id 129 chars", "userId", """{"country":"DE"}""", user: tooLongId),
            new("attributes: unicode values", HttpMethod.Put, $"/v1/users/{Uri.EscapeDataString("Zoë-用户-🛒")}/attributes", """{"country":"Österreich","city":"東京"}""", false, 200, null),

            // --- catalog items (admin) ---
            BadItem("price negative", "items[0].price", new JsonObject { ["id"] = "rej-item-neg", ["price"] = -1 }),
            BadItem("price above 1e9", "items[0].price", new JsonObject { ["id"] = "rej-item-big", ["price"] = 1e9 + 1 }),
            BadItem("price 1e308", "items[0].price", new JsonObject { ["id"] = "rej-item-huge", ["price"] = 1e308 }),
            BadItem("price as string", "items[0].price", new JsonObject { ["id"] = "rej-item-str", ["price"] = "free" }),
            BadItem("id with slash", "items[0].id", new JsonObject { ["id"] = "a/b", ["price"] = 1 }),
            BadItem("id missing", "items[0].id", new JsonObject { ["price"] = 1 }),
            BadItem("id 129 chars", "items[0].id", new JsonObject { ["id"] = new string('i', 129) }),
            BadItem("33 categories", "items[0].categories", new JsonObject { ["id"] = "rej-item-cats", ["categories"] = new JsonArray([.. Enumerable.Range(0, 33).Select(i => (JsonNode?)$"c{i}")]) }),
            BadItem("category with control char", "items[0].categories[0]", new JsonObject { ["id"] = "rej-item-cc", ["categories"] = new JsonArray("a\u0001") }),
            BadItem("tag blank", "items[0].tags[0]", new JsonObject { ["id"] = "rej-item-tag", ["tags"] = new JsonArray(" ") }),
            BadItem("title 513 chars", "items[0].title", new JsonObject { ["id"] = "rej-item-title", ["title"] = new string('t', 513) }),
            BadItem("available as string", "items[0].available", new JsonObject { ["id"] = "rej-item-av", ["available"] = "yes" }),
            BadItem("repeat policy unknown", "items[0].repeat", new JsonObject { ["id"] = "rej-item-rep", ["repeat"] = "sometimes" }),
            BadItem("repeat policy as number", "items[0].repeat", new JsonObject { ["id"] = "rej-item-repn", ["repeat"] = 1 }),
            new("items: a repeat policy is stored and read back", HttpMethod.Put, "/v1/items", """{"items":[{"id":"corpus-staple","categories":["grocery"],"repeat":"Interval"}]}""", true, 200, null)
            {
                After = async (_, admin) =>
                {
                    var item = JsonNode.Parse(await admin.GetStringAsync("/v1/items/corpus-staple"))!;
                    Assert.Equal("interval", item["repeat"]!.GetValue<string>());
                },
            },
            new("items: a null item", HttpMethod.Put, "/v1/items", """{"items":[null]}""", true, 400, "items[0]"),
            new("items: empty batch", HttpMethod.Put, "/v1/items", """{"items":[]}""", true, 400, "items"),
            new("items: 1001 items", HttpMethod.Put, "/v1/items", new JsonObject { ["items"] = new JsonArray([.. Enumerable.Range(0, 1001).Select(i => (JsonNode?)new JsonObject { ["id"] = $"rej-bulk-{i}" })]) }.ToJsonString(), true, 400, "items") { After = NoItem("rej-bulk-0") },
            new("items: valid item next to a bad one is not stored", HttpMethod.Put, "/v1/items", """{"items":[{"id":"rej-item-partner","price":5},{"id":"rej-item-bad","price":-5}]}""", true, 400, "items[1].price") { After = NoItem("rej-item-partner") },
            new("items: price exactly 1e9 and a unicode id", HttpMethod.Put, "/v1/items", """{"items":[{"id":"yacht-⛵","price":1e9,"categories":["boats & more"]}]}""", true, 200, null)
            {
                After = async (_, admin) =>
                {
                    var item = JsonNode.Parse(await admin.GetStringAsync($"/v1/items/{Uri.EscapeDataString("yacht-⛵")}"))!;
                    Assert.Equal(1e9, item["price"]!.GetValue<double>());
                },
            },

            // --- recommendation and similar-item query parameters ---
            BadQuery("count 0", "/v1/users/u1/recommendations?count=0", "count"),
            BadQuery("count 101", "/v1/users/u1/recommendations?count=101", "count"),
            BadQuery("count negative", "/v1/users/u1/recommendations?count=-1", "count"),
            BadQuery("count exponent", "/v1/users/u1/recommendations?count=1e3", "count"),
            BadQuery("count decimal", "/v1/users/u1/recommendations?count=2.5", "count"),
            BadQuery("count beyond int", "/v1/users/u1/recommendations?count=99999999999999999999", "count"),
            BadQuery("count empty", "/v1/users/u1/recommendations?count=", "count"),
            BadQuery("count NaN", "/v1/users/u1/recommendations?count=NaN", "count"),
            BadQuery("explain not a flag", "/v1/users/u1/recommendations?explain=maybe", "explain"),
            BadQuery("explore not a flag", "/v1/users/u1/recommendations?explore=2", "explore"),
            BadQuery("buyAgain above count", "/v1/users/u1/recommendations?count=3&buyAgain=4", "buyAgain"),
            BadQuery("buyAgain negative", "/v1/users/u1/recommendations?buyAgain=-1", "buyAgain"),
            BadQuery("buyAgain not a number", "/v1/users/u1/recommendations?buyAgain=two", "buyAgain"),
            BadQuery("device 65 chars", $"/v1/users/u1/recommendations?device={new string('d', 65)}", "device"),
            BadQuery("include only commas", "/v1/users/u1/recommendations?include=,,,", "include"),
            BadQuery("exclude 21 categories", $"/v1/users/u1/recommendations?exclude={string.Join(',', Enumerable.Range(0, 21).Select(i => $"c{i}"))}", "exclude"),
            BadQuery("recommendations user id with percent", "/v1/users/a%25b/recommendations", "userId"),
            BadQuery("recommendations user id 129 chars", $"/v1/users/{tooLongId}/recommendations", "userId"),
            BadQuery("recommendations user id 10 KB", $"/v1/users/{new string('k', 10 * 1024)}/recommendations", "userId"),
            BadQuery("similar count 0", "/v1/items/corpus-item/similar?count=0", "count"),
            BadQuery("similar item id with encoded slash", "/v1/items/a%2Fb/similar", "itemId"),
            new("query: count 100 is allowed", HttpMethod.Get, "/v1/users/u1/recommendations?count=100", null, false, 200, null, null),

            // --- admin writes ---
            BadQuery("activate version abc", "/v1/models/abc/activate", "version", admin: true, method: HttpMethod.Post),
            BadQuery("activate version 0", "/v1/models/0/activate", "version", admin: true, method: HttpMethod.Post),
            BadQuery("activate version -1", "/v1/models/-1/activate", "version", admin: true, method: HttpMethod.Post),
            BadQuery("activate version beyond long", "/v1/models/99999999999999999999/activate", "version", admin: true, method: HttpMethod.Post),
            BadQuery("activate version exponent", "/v1/models/1e3/activate", "version", admin: true, method: HttpMethod.Post),
            BadQuery("activate unknown version", "/v1/models/424242/activate", "version", admin: true, method: HttpMethod.Post, status: 404),
            BadQuery("cohort id negative", "/v1/cohorts/-1", "cohortId", admin: true),
            BadQuery("cohort id beyond int", "/v1/cohorts/99999999999", "cohortId", admin: true),
            new("admin: re-cluster with a junk body", HttpMethod.Post, "/v1/admin/segmentation", "{\"k\":1e308}", true, null, "users"),
        };
        return cases;
    }

    [Fact]
    public async Task Corpus_never_gets_a_5xx_names_every_rejected_field_changes_nothing_and_training_and_reclustering_still_succeed()
    {
        var app = factory.App();
        var admin = factory.Admin();
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 60, Items = 120, UserPrefix = "corpus-" }, seed: 31);
        var items = world.Items.Select(i => new { id = i.Id, title = i.Title, categories = new[] { i.Category }, price = i.Price }).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/v1/items", new { items })).StatusCode);
        await WireEvents.PostAccepted(app, world.History(Now.AddMinutes(-1), 10, new Random(3)));

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostAsJsonAsync("/v1/events", new { events = new[] { new { eventId = "attr-1", userId = AttrUser, itemId = "corpus-item", type = "view" } } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.PutAsJsonAsync($"/v1/users/{AttrUser}/attributes", new Dictionary<string, string> { ["country"] = "NL" })).StatusCode);

        var cases = Cases();
        Assert.True(cases.Count >= 80, $"the corpus has {cases.Count} requests");
        var failures = new List<string>();
        foreach (var c in cases)
        {
            try
            {
                await Send(c, c.Admin ? admin : app);
            }
            catch (Exception ex) when (ex is Xunit.Sdk.XunitException or System.Text.Json.JsonException)
            {
                failures.Add($"{c.Name}: {ex.Message}");
            }
        }

        // State after the whole corpus: nothing a rejected request carried was applied, valid extremes were.
        foreach (var c in cases)
        {
            try
            {
                if (c.After is { } after)
                {
                    await after(app, admin);
                }
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                failures.Add($"{c.Name} (state): {ex.Message}");
            }
        }

        var attributes = await Eventually.Value(async () => JsonNode.Parse(await app.GetStringAsync($"/v1/users/{AttrUser}")), p => p?["attributes"] is not null, "the attributes are stored");
        Assert.Equal("""{"country":"NL"}""", attributes!["attributes"]!.ToJsonString());
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Training still succeeds, on every accepted user, and found no row to skip: no rejected event reached the log.
        var trainedUsers = world.Users.Select(u => u.Id).Concat(cases.SelectMany(c => c.Trains)).Append(AttrUser).ToHashSet(StringComparer.Ordinal);
        await Eventually.True(async () => (await Json(await admin.GetAsync("/v1/admin/training")))["state"]!.GetValue<string>() != "running", "no run is in progress");
        using var api = new CohortlyApiClient(admin, GatewayFactory.AdminKey);
        var status = (await api.TrainAsync(TimeSpan.FromMinutes(3), progress: null, CancellationToken.None)).Status;
        Assert.True(status["state"]!.GetValue<string>() == "succeeded", status.ToJsonString());
        Assert.Equal(0, status["skippedEvents"]!.GetValue<long>());
        var models = await Json(await admin.GetAsync("/v1/models"));
        Assert.Equal(trainedUsers.Count, models["versions"]![0]!["users"]!.GetValue<int>());

        JsonNode? segmentation = null;
        await Eventually.True(
            async () =>
            {
                var response = await admin.PostAsync("/v1/admin/segmentation", null);
                Assert.True((int)response.StatusCode < 500, $"re-clustering answered {(int)response.StatusCode}");
                segmentation = response.IsSuccessStatusCode ? await Json(response) : null;
                return segmentation?["sampleSize"]!.GetValue<int>() >= world.Users.Count;
            },
            "re-clustering succeeds with the sampled users");
        Assert.NotEmpty(segmentation!["cohorts"]!.AsArray());
    }

    private static async Task Send(CorpusCase c, HttpClient client)
    {
        using var request = new HttpRequestMessage(c.Method, c.Url);
        if (c.Body is not null)
        {
            request.Content = new StringContent(c.Body, Encoding.UTF8, c.ContentType ?? "application/json");
        }

        using var response = await client.SendAsync(request);
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        var shown = body.Length > 300 ? body[..300] + "…" : body;
        Assert.True(status < 500, $"answered {status}: {shown}");
        if (c.Status is { } expected)
        {
            Assert.True(expected == status, $"expected {expected}, got {status}: {shown}");
        }

        if (status < 400)
        {
            return;
        }

        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{status} is not problem details: {response.Content.Headers.ContentType}");
        var problem = JsonNode.Parse(body)!.AsObject();
        var named = problem["errors"] is JsonObject errors ? errors.ContainsKey(c.Field!) : problem["field"]?.GetValue<string>() == c.Field;
        Assert.True(named, $"the problem does not name '{c.Field}': {shown}");
    }
}
