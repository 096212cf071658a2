using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Microsoft.Extensions.DependencyInjection;
using static Cohortly.TestSupport.CohortlyApiClient;

namespace Cohortly.Gateway.Tests;

public sealed class ApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static object Ev(string id, string user, string item, string type = "view", double? value = null, DateTimeOffset? timestamp = null) =>
        new { eventId = id, userId = user, itemId = item, type, value, timestamp, context = new { device = "mobile" } };

    [Fact]
    public async Task Request_without_api_key_gets_401_problem_details()
    {
        var response = await factory.CreateClient().GetAsync("/v1/users/u1/recommendations");
        await Problems.AssertNames(response, HttpStatusCode.Unauthorized, "X-Api-Key");
    }

    [Fact]
    public async Task Wrong_api_key_gets_401()
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/users/u1")).StatusCode);
    }

    [Fact]
    public async Task App_key_may_not_call_admin_endpoints()
    {
        var response = await factory.App().PostAsync("/v1/admin/segmentation", null);
        await Problems.AssertNames(response, HttpStatusCode.Forbidden, "X-Api-Key");
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().GetAsync("/v1/cohorts")).StatusCode);
    }

    [Fact]
    public async Task Batch_with_invalid_events_accepts_the_valid_ones_and_names_each_bad_field()
    {
        var batch = new
        {
            events = new object?[]
            {
                Ev("mix-1", "mixer", "i1"),
                Ev("mix-2", "", "i1"),
                Ev("mix-3", "mixer", "i2", type: "teleport"),
                Ev("mix-4", "mixer", "i3", timestamp: DateTimeOffset.UtcNow.AddDays(3)),
                Ev(new string('x', 129), "mixer", "i4"),
                Ev("mix-6", "mixer", "i5", type: "purchase", value: -3),
                Ev("mix-7", "mixer", "i6", type: "rating"),
                null,
                Ev("mix-9", "mixer", "i9", type: "purchase", value: 12.5),
            },
        };

        var response = await factory.App().PostAsJsonAsync("/v1/events", batch);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await Json(response);
        Assert.Equal(2, body["accepted"]!.GetValue<int>());
        Assert.Equal(7, body["rejected"]!.GetValue<int>());
        var fields = body["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList();
        Assert.Equal(
            ["events[1].userId", "events[2].type", "events[3].timestamp", "events[4].eventId", "events[5].value", "events[6].value", "events[7]"],
            fields);

        var user = factory.App();
        await Eventually.True(async () => (await user.GetAsync("/v1/users/mixer")).StatusCode == HttpStatusCode.OK, "the valid events reach the user");
        await Eventually.True(async () => (await Json(await user.GetAsync("/v1/users/mixer")))["counts"]!["purchase"]!.GetValue<long>() == 1, "the purchase is applied");
        var profile = await Json(await user.GetAsync("/v1/users/mixer"));
        Assert.Equal(1, profile["counts"]!["view"]!.GetValue<long>());
        Assert.Equal(12.5, profile["monetary"]!.GetValue<double>());
    }

    [Fact]
    public async Task Events_carry_the_recommendation_id_and_position_a_response_gave_and_bad_ones_are_named()
    {
        var app = factory.App();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostAsJsonAsync("/v1/events", new { events = new[] { Ev("ref-0", "ref-user", "ref-item") } })).StatusCode);
        await Eventually.True(async () => (await app.GetAsync("/v1/users/ref-user")).StatusCode == HttpStatusCode.OK, "the view reaches the user");
        var served = await Json(await app.GetAsync("/v1/users/ref-user/recommendations?count=5"));
        var recommendationId = served["recommendationId"]!.GetValue<string>();

        var batch = new
        {
            events = new object[]
            {
                new { eventId = "ref-1", userId = "ref-user", itemId = "ref-item", type = "click", recommendationId, position = 0 },
                new { eventId = "ref-2", userId = "ref-user", itemId = "ref-item", type = "click", recommendationId = recommendationId.ToUpperInvariant() },
                new { eventId = "ref-3", userId = "ref-user", itemId = "ref-item", type = "click", recommendationId = recommendationId[..31] },
                new { eventId = "ref-4", userId = "ref-user", itemId = "ref-item", type = "click", recommendationId, position = 200 },
                new { eventId = "ref-5", userId = "ref-user", itemId = "ref-item", type = "click", position = 1 },
            },
        };
        var response = await app.PostAsJsonAsync("/v1/events", batch);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await Json(response);
        Assert.Equal(2, body["accepted"]!.GetValue<int>());
        Assert.Equal(
            ["events[2].recommendationId", "events[3].position", "events[4].position"],
            body["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()).ToList());
        await Eventually.True(async () => (await Json(await app.GetAsync("/v1/users/ref-user")))["counts"]!["click"]!.GetValue<long>() == 2, "both clicks are applied");
    }

    [Fact]
    public async Task The_embedded_gateway_reads_users_on_its_own_silo_without_the_worker()
    {
        // The silo's IUserReads: an active user is read on its activation, with no worker or user-grain message.
        Assert.IsType<Cohortly.Grains.Users.SiloUserReads>(factory.Services.GetRequiredService<IUserReads>());
        var app = factory.App();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostAsJsonAsync("/v1/events", new { events = new[] { Ev("own-0", "own-user", "own-item") } })).StatusCode);
        await Eventually.True(async () => (await app.GetAsync("/v1/users/own-user")).StatusCode == HttpStatusCode.OK, "the view reaches the user");
        var served = await Json(await app.GetAsync("/v1/users/own-user/recommendations?count=3"));
        Assert.Equal("own-user", served["userId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_where_every_event_is_invalid_is_a_400_naming_the_fields()
    {
        var response = await factory.App().PostAsJsonAsync("/v1/events", new { events = new[] { Ev("bad", "u", "i", type: "nope") } });
        await Problems.AssertNames(response, HttpStatusCode.BadRequest, "events[0].type");
    }

    [Theory]
    [InlineData("""{"events":[]}""", "events")]
    [InlineData("""{}""", "events")]
    [InlineData("""{"events":[{"eventId":"e","userId":"u","itemId":"i","type":"view","value":"lots"}]}""", "events[0].value")]
    [InlineData("""{"events":[{"eventId":"e","userId":"u","itemId":"i","type":"click","recommendationId":"0190f3a2c1d24b7e8a9b0c1d2e3f4a5b","position":"first"}]}""", "events[0].position")]
    [InlineData("""{"events":[{"eventId":"e","userId":"u","itemId":"i","type":"view"}""", "malformed JSON")]
    [InlineData("""null""", "body")]
    public async Task Malformed_bodies_get_a_problem_naming_the_field(string json, string field)
    {
        var response = await factory.App().PostAsync("/v1/events", new StringContent(json, Encoding.UTF8, "application/json"));
        await Problems.AssertNames(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task More_than_1000_events_is_rejected_whole()
    {
        var events = Enumerable.Range(0, 1001).Select(i => Ev($"big-{i}", "u", "i")).ToArray();
        var response = await factory.App().PostAsJsonAsync("/v1/events", new { events });
        await Problems.AssertNames(response, HttpStatusCode.BadRequest, "events");
    }

    [Fact]
    public async Task Oversized_body_gets_413()
    {
        var padding = new string(' ', 3 * 1024 * 1024);
        var response = await factory.App().PostAsync("/v1/events", new StringContent("{\"events\":[]" + padding + "}", Encoding.UTF8, "application/json"));
        await Problems.AssertNames(response, HttpStatusCode.RequestEntityTooLarge, "body");
    }

    [Fact]
    public async Task Recommendation_count_outside_1_to_100_is_rejected()
    {
        await Problems.AssertNames(await factory.App().GetAsync("/v1/users/u1/recommendations?count=0"), HttpStatusCode.BadRequest, "count");
        await Problems.AssertNames(await factory.App().GetAsync("/v1/users/u1/recommendations?count=abc"), HttpStatusCode.BadRequest, "count");
        await Problems.AssertNames(await factory.App().GetAsync("/v1/users/u1/recommendations?count=101"), HttpStatusCode.BadRequest, "count");
    }

    [Fact]
    public async Task Unknown_user_is_404_problem()
    {
        await Problems.AssertNames(await factory.App().GetAsync("/v1/users/ghost-user"), HttpStatusCode.NotFound, "userId");
    }

    [Fact]
    public async Task Recommendations_for_a_new_user_fall_back_to_global_popularity()
    {
        var events = Enumerable.Range(0, 5).Select(i => Ev($"pop-{i}", $"popfan-{i}", "bestseller", type: "purchase", value: 3)).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await factory.App().PostAsJsonAsync("/v1/events", new { events })).StatusCode);

        JsonNode? body = null;
        await Eventually.True(async () =>
        {
            body = await Json(await factory.App().GetAsync("/v1/users/newcomer/recommendations?count=5"));
            return body["items"]!.AsArray().Any(i => i!["itemId"]!.GetValue<string>() == "bestseller");
        }, "the bestseller is recommended");

        Assert.Equal("global-popularity", body!["strategy"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["recommendationId"]!.GetValue<string>()));
        Assert.Null(body["cohortId"]);
    }

    [Fact]
    public async Task Items_are_upserted_and_read_back_and_bad_items_name_the_field()
    {
        var put = await factory.Admin().PutAsJsonAsync("/v1/items", new { items = new[] { new { id = "sku-1", title = "Lamp", categories = new[] { "home" }, tags = new[] { "light" }, price = 19.9, available = true } } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var item = await Json(await factory.Admin().GetAsync("/v1/items/sku-1"));
        Assert.Equal("Lamp", item["title"]!.GetValue<string>());
        Assert.Equal("home", item["categories"]![0]!.GetValue<string>());

        var bad = await factory.Admin().PutAsJsonAsync("/v1/items", new { items = new[] { new { id = "sku-2", price = -1.0 } } });
        await Problems.AssertNames(bad, HttpStatusCode.BadRequest, "items[0].price");
        Assert.Equal(HttpStatusCode.NotFound, (await factory.Admin().GetAsync("/v1/items/sku-2")).StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_and_health_endpoints_are_served()
    {
        var client = factory.CreateClient();
        var doc = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/events", doc, StringComparison.Ordinal);
        Assert.Contains("/v1/users/{userId}/recommendations", doc, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Duplicate_event_ids_across_retries_are_counted_once()
    {
        var batch = new { events = new[] { Ev("retry-1", "retrier", "i1", type: "purchase", value: 7) } };
        await factory.App().PostAsJsonAsync("/v1/events", batch);
        await factory.App().PostAsJsonAsync("/v1/events", batch);
        await factory.App().PostAsJsonAsync("/v1/events", new { events = new[] { Ev("retry-2", "retrier", "i2") } });

        await Eventually.True(async () => (await factory.App().GetAsync("/v1/users/retrier")).StatusCode == HttpStatusCode.OK
            && (await Json(await factory.App().GetAsync("/v1/users/retrier")))["counts"]!["view"]!.GetValue<long>() == 1, "the last event is applied");
        var profile = await Json(await factory.App().GetAsync("/v1/users/retrier"));
        Assert.Equal(1, profile["counts"]!["purchase"]!.GetValue<long>());
        Assert.Equal(7, profile["monetary"]!.GetValue<double>());
    }
}
