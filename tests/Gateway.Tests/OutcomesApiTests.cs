using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.DependencyInjection;

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
    public async Task Outcomes_of_a_served_and_clicked_recommendation_are_reported_per_strategy_and_per_cohort()
    {
        // Serve and click through the real API. The user grain reports these outcomes itself once attribution is merged;
        // here the test records what it would, through the silo's recorder, and reads the HTTP answer.
        var user = "outcome-user";
        var accepted = await factory.App().PostAsJsonAsync("/v1/events", new
        {
            events = new[] { new { eventId = "oc-1", userId = user, itemId = "oc-item-1", type = "view", context = new { device = "mobile" } } },
        });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var recommendation = await Json(await factory.App().GetAsync($"/v1/users/{user}/recommendations?count=3"));
        Assert.NotNull(recommendation["recommendationId"]);
        var click = await factory.App().PostAsJsonAsync("/v1/events", new
        {
            events = new[] { new { eventId = "oc-2", userId = user, itemId = "oc-item-2", type = "click", context = new { device = "mobile" } } },
        });
        Assert.Equal(HttpStatusCode.Accepted, click.StatusCode);

        var recorder = factory.Services.GetRequiredService<IOutcomeRecorder>();
        var now = DateTimeOffset.UtcNow;
        var key = new OutcomeKey(IOutcomeGrain.NoCohort, 0, string.Empty, string.Empty, ServedStrategy.ColdStart);
        recorder.Record(key, new OutcomeCounts(Exposures: 1, Impressions: 3, 0, 0, 0, 0, 0, 0, 0), now);
        recorder.Record(key, new OutcomeCounts(0, 0, Clicks: 1, 0, 0, 0, ClickedExposures: 1, 0, 0), now);

        var range = $"from={Iso(now.AddMinutes(-5))}&to={Iso(now.AddMinutes(1))}&granularity=minute";
        JsonNode? body = null;
        await Eventually.True(
            async () =>
            {
                body = await Json(await factory.Admin().GetAsync($"/v1/outcomes?{range}&groupBy=strategy"));
                return body["groups"]!.AsArray().Any(g => (string?)g!["key"] == "coldStart" && (long)g["total"]!["clicks"]! == 1);
            },
            "the flushed outcomes are in the report");

        Assert.Equal("minute", (string?)body!["granularity"]);
        Assert.Equal("strategy", (string?)body["groupBy"]);
        var coldStart = body["groups"]!.AsArray().Single(g => (string?)g!["key"] == "coldStart")!;
        var total = coldStart["total"]!;
        Assert.Equal(1, (long)total["exposures"]!);
        Assert.Equal(3, (long)total["impressions"]!);
        Assert.Equal(1.0, (double)total["clickedExposureRate"]!["value"]!);
        Assert.Equal(1.0 / 3, (double)total["clicksPerImpression"]!["value"]!, 12);
        Assert.True((double)total["clicksPerImpression"]!["low"]! < 1.0 / 3);
        Assert.Equal(0.0, (double)total["revenuePerImpression"]!["value"]!);
        Assert.Equal(0, (long)total["purchases"]!);
        Assert.Single(coldStart["points"]!.AsArray());

        var cohort = await Json(await factory.Admin().GetAsync($"/v1/cohorts/-1/outcomes?{range}&groupBy=cohort"));
        var only = Assert.Single(cohort["groups"]!.AsArray())!;
        Assert.Equal("-1", (string?)only["key"]);
        Assert.Equal(3, (long)only["total"]!["impressions"]!);

        var other = await Json(await factory.Admin().GetAsync($"/v1/cohorts/12345/outcomes?{range}"));
        Assert.Empty(other["groups"]!.AsArray());
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
    public async Task Bad_query_gets_a_400_problem_naming_the_field(string url, string field)
    {
        var response = await factory.Admin().GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.NotNull(body["errors"]![field]);
    }

    [Fact]
    public async Task Outcomes_need_the_admin_key()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().GetAsync("/v1/outcomes")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().GetAsync("/v1/cohorts/1/outcomes")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync("/v1/outcomes")).StatusCode);
    }
}
