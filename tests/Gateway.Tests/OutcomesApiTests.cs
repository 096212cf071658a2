using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;

namespace Cohortly.Gateway.Tests;

public sealed class OutcomesApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_served_recommendation_and_a_click_on_it_are_reported_as_outcomes()
    {
        // Everything through the real API: the user grain records the exposure when it serves and the attributed click
        // when the event arrives; the silo's aggregator flushes both to the cohort's outcome grain.
        var user = "outcome-user";
        await Post(new { eventId = "oc-1", userId = user, itemId = "oc-item-1", type = "view", context = new { device = "mobile" } });
        await Post(new { eventId = "oc-2", userId = "outcome-other", itemId = "oc-item-2", type = "purchase", value = 3.0 });
        await Post(new { eventId = "oc-3", userId = "outcome-other", itemId = "oc-item-3", type = "view" });
        JsonNode? recommendation = null;
        await Eventually.True(
            async () =>
            {
                recommendation = await Json(await factory.App().GetAsync($"/v1/users/{user}/recommendations?count=3"));
                return recommendation["items"]!.AsArray().Count > 0;
            },
            "the user gets a non-empty recommendation");
        var items = recommendation!["items"]!.AsArray();
        var clicked = (string)items[0]!["itemId"]!;
        var recommendationId = (string)recommendation["recommendationId"]!;
        await Post(new { eventId = "oc-4", userId = user, itemId = clicked, type = "click", recommendationId, position = 0 });

        var now = DateTimeOffset.UtcNow;
        var range = $"from={Iso(now.AddMinutes(-5))}&to={Iso(now.AddMinutes(1))}&granularity=minute";
        JsonNode? body = null;
        await Eventually.True(
            async () =>
            {
                body = await Json(await factory.Admin().GetAsync($"/v1/outcomes?{range}&groupBy=strategy"));
                return body["groups"]!.AsArray().Sum(g => (long)g!["total"]!["clicks"]!) == 1;
            },
            "the attributed click reaches the outcome report");

        var groups = body!["groups"]!.AsArray();
        Assert.Equal(1, groups.Sum(g => (long)g!["total"]!["exposures"]!));
        Assert.Equal(items.Count, groups.Sum(g => (long)g!["total"]!["impressions"]!));
        Assert.Equal(1, groups.Sum(g => (long)g!["total"]!["clickedExposures"]!));
        Assert.Equal(0, groups.Sum(g => (long)g!["total"]!["purchases"]!));
        var served = groups.Single(g => (long)g!["total"]!["exposures"]! == 1)!;
        Assert.Equal(1.0, (double)served["total"]!["clickedExposureRate"]!["value"]!);
        Assert.True((double)served["total"]!["clickedExposureRate"]!["low"]! < 1.0);

        var cohortKey = recommendation["cohortId"] is { } c ? (int)c : IOutcomeGrain.NoCohort;
        var cohort = await Json(await factory.Admin().GetAsync($"/v1/cohorts/{cohortKey}/outcomes?{range}&groupBy=cohort"));
        var only = Assert.Single(cohort["groups"]!.AsArray())!;
        Assert.Equal(cohortKey.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)only["key"]);
        Assert.Equal(1, (long)only["total"]!["clicks"]!);

        var other = await Json(await factory.Admin().GetAsync($"/v1/cohorts/12345/outcomes?{range}"));
        Assert.Empty(other["groups"]!.AsArray());
    }

    private async Task Post(object e)
    {
        var response = await factory.App().PostAsJsonAsync("/v1/events", new { events = new[] { e } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("/v1/outcomes?granularity=week", "granularity")]
    [InlineData("/v1/outcomes?groupBy=colour", "groupBy")]
    [InlineData("/v1/outcomes?from=yesterday", "from")]
    [InlineData("/v1/outcomes?to=2026-13-01T00:00:00Z", "to")]
    [InlineData("/v1/outcomes?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from")]
    [InlineData("/v1/outcomes?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&granularity=minute", "from")]
    [InlineData("/v1/cohorts/abc/outcomes", "cohortId")]
    [InlineData("/v1/cohorts/-2/outcomes", "cohortId")]
    [InlineData("/v1/cohorts/1/policy-evaluation?epsilon=0.1,1.5", "epsilon")]
    [InlineData("/v1/cohorts/1/policy-evaluation?epsilon=abc", "epsilon")]
    [InlineData("/v1/cohorts/1/policy-evaluation?epsilon=0.1,,0.2", "epsilon")]
    [InlineData("/v1/cohorts/x/policy-evaluation", "cohortId")]
    [InlineData("/v1/cohorts/1/policy-evaluation?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from")]
    [InlineData("/v1/cohorts/1/policy-evaluation?to=soon", "to")]
    public async Task Bad_query_gets_a_400_problem_naming_the_field(string url, string field)
    {
        var response = await factory.Admin().GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.NotNull(body["errors"]![field]);
    }

    [Fact]
    public async Task A_cohort_without_logged_decisions_has_an_empty_policy_evaluation()
    {
        var body = await Json(await factory.Admin().GetAsync("/v1/cohorts/54321/policy-evaluation?epsilon=0,0.1"));

        Assert.Equal(54321, (int)body["cohortId"]!);
        Assert.Equal(0, (long)body["decisions"]!);
        Assert.Equal(0, (long)body["clicks"]!);
        Assert.Null(body["loggedCtr"]);
        Assert.Empty(body["candidates"]!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().GetAsync("/v1/cohorts/1/policy-evaluation")).StatusCode);
    }

    [Fact]
    public async Task Outcomes_are_refused_to_app_keys_and_callers_without_a_key()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().GetAsync("/v1/outcomes")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().GetAsync("/v1/cohorts/1/outcomes")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync("/v1/outcomes")).StatusCode);
    }
}
