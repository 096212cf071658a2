using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using static Cohortly.TestSupport.CohortlyApiClient;

namespace Cohortly.Gateway.Tests;

/// <summary>The inputs that used to poison the cluster, one test each, as a client with the app key sends them.</summary>
public sealed class PoisoningTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static async Task<JsonNode> AssertProblem(HttpResponseMessage response, HttpStatusCode status, params string[] fields)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(body)!;
        foreach (var field in fields)
        {
            Assert.True(json["errors"]?[field] is not null, $"errors has no '{field}': {body}");
        }

        return json;
    }

    [Fact]
    public async Task Purchases_of_1e308_are_rejected_naming_the_value_and_the_users_profile_stays_readable()
    {
        var app = factory.App();
        var batch = new
        {
            events = new object[]
            {
                new { eventId = "whale-1", userId = "whale", itemId = "yacht", type = "purchase", value = 1e308 },
                new { eventId = "whale-2", userId = "whale", itemId = "yacht", type = "purchase", value = 1e308 },
                new { eventId = "whale-3", userId = "whale", itemId = "yacht", type = "view" },
            },
        };

        var response = await app.PostAsJsonAsync("/v1/events", batch);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await Json(response);
        Assert.Equal(1, body["accepted"]!.GetValue<int>());
        Assert.Equal(["events[0].value", "events[1].value"], body["errors"]!.AsArray().Select(e => e!["field"]!.GetValue<string>()));
        JsonNode? profile = null;
        await Eventually.True(
            async () =>
            {
                var read = await app.GetAsync("/v1/users/whale");
                Assert.True((int)read.StatusCode < 500, $"profile read answered {(int)read.StatusCode}");
                profile = read.IsSuccessStatusCode ? await Json(read) : null;
                return profile?["counts"]!["view"]!.GetValue<long>() == 1;
            },
            "the valid view reaches the profile",
            TimeSpan.FromSeconds(15));
        Assert.Equal(0, profile!["monetary"]!.GetValue<double>());
        Assert.Equal(0, profile["counts"]!["purchase"]!.GetValue<long>());
    }

    [Fact]
    public async Task Batch_of_only_a_null_event_is_a_400_naming_the_item_not_a_retryable_503()
    {
        var response = await factory.App().PostAsync("/v1/events", new StringContent("""{"events":[null]}""", Encoding.UTF8, "application/json"));

        await AssertProblem(response, HttpStatusCode.BadRequest, "events[0]");
        Assert.False(response.Headers.Contains("Retry-After"));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a?b")]
    [InlineData("a#b")]
    [InlineData("100%")]
    [InlineData("two words")]
    [InlineData("tab\there")]
    [InlineData("zero\u200bwidth")]
    public async Task User_and_item_ids_that_cannot_travel_in_a_url_path_are_rejected_naming_the_field(string id)
    {
        var app = factory.App();
        var response = await app.PostAsJsonAsync("/v1/events", new { events = new[] { new { eventId = Guid.NewGuid().ToString("N"), userId = id, itemId = id, type = "view" } } });

        await AssertProblem(response, HttpStatusCode.BadRequest, "events[0].userId");
        var items = await factory.Admin().PutAsJsonAsync("/v1/items", new { items = new[] { new { id } } });
        await AssertProblem(items, HttpStatusCode.BadRequest, "items[0].id");
    }

    [Fact]
    public async Task Unicode_ids_are_accepted_and_read_back_through_the_url_route()
    {
        const string user = "Zoë-用户-🛒";
        var app = factory.App();

        var response = await app.PostAsJsonAsync("/v1/events", new { events = new[] { new { eventId = "uni-1", userId = user, itemId = "café-Ω", type = "view" } } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.True(async () => (await app.GetAsync($"/v1/users/{Uri.EscapeDataString(user)}")).StatusCode == HttpStatusCode.OK, "the unicode user reads back");
        var profile = await Json(await app.GetAsync($"/v1/users/{Uri.EscapeDataString(user)}"));
        Assert.Equal(user, profile["userId"]!.GetValue<string>());
        Assert.Equal("café-Ω", profile["recentItems"]![0]!["itemId"]!.GetValue<string>());
    }
}

/// <summary>Over-long URLs against real Kestrel, whose request-line limit answers before the app.</summary>
public sealed class OverlongUrlTests(KestrelGatewayFactory factory) : IClassFixture<KestrelGatewayFactory>
{
    [Theory]
    [InlineData("/v1/users/{0}", "userId")]
    [InlineData("/v1/users/{0}/recommendations", "userId")]
    [InlineData("/v1/items/{0}/similar", "itemId")]
    [InlineData("/v1/users/u1/recommendations?count={0}", "count")]
    public async Task Ten_kilobyte_route_value_gets_a_problem_naming_the_parameter(string template, string field)
    {
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, new string('x', 10 * 1024));

        var response = await factory.App().GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.NotNull(body["errors"]![field]);
    }
}

/// <summary>Own gateway: segmentation state is cluster-wide, and this one must hold only identical users.</summary>
public sealed class SparseSegmentationApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Reclustering_fewer_distinct_users_than_k_publishes_fewer_cohorts_instead_of_failing()
    {
        // K is 3 (GatewayFactory); two users are fewer than that, whatever their features (identical histories can
        // still differ in recency by the milliseconds between their samples, so three users could be three vectors).
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = Enumerable.Range(0, 2).Select(u => new { eventId = $"same-{u}", userId = $"same-{u}", itemId = "same-item", type = "view", timestamp = at }).ToArray();
        Assert.Equal(HttpStatusCode.Accepted, (await factory.App().PostAsJsonAsync("/v1/events", new { events })).StatusCode);
        var admin = factory.Admin();

        JsonNode? version = null;
        await Eventually.True(
            async () =>
            {
                var response = await admin.PostAsync("/v1/admin/segmentation", null);
                Assert.True((int)response.StatusCode < 500, $"re-clustering answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                version = response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
                return version?["sampleSize"]!.GetValue<int>() == 2;
            },
            "the two users are sampled and clustered");

        // Fewer cohorts than K, where k-means with k = 3 used to throw.
        Assert.InRange(version!["cohorts"]!.AsArray().Count, 1, 2);
    }
}
