using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.DependencyInjection;

namespace Cohortly.Gateway.Tests;

public sealed class ExperimentsApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task An_experiment_is_created_listed_read_analyzed_and_stopped()
    {
        var created = await factory.Admin().PostAsync("/v1/experiments", Body("""
            {
              "name": "api-cohort-vs-global",
              "variants": [
                { "name": "global-baseline", "weight": 1 },
                { "name": "cohort-model", "weight": 1 },
                { "name": "low-lambda", "weight": 2, "treatment": { "diversityLambda": 0.5, "exploration": { "kind": "thompson", "alpha": 1, "beta": 1 }, "explorationSlots": 2 } }
              ],
              "cohorts": [701, 702],
              "primaryMetric": "ctr",
              "guardrails": ["conversion"],
              "minimumSampleSize": 100
            }
            """));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/experiments/api-cohort-vs-global", created.Headers.Location?.OriginalString);
        var experiment = await Json(created);
        Assert.Equal("running", (string?)experiment["status"]);
        Assert.Equal("ctr", (string?)experiment["primaryMetric"]);
        Assert.Equal("conversion", (string?)experiment["guardrails"]![0]);
        Assert.Equal("fixed", (string?)experiment["allocation"]);
        var variants = experiment["variants"]!.AsArray();
        Assert.True((bool)variants[0]!["treatment"]!["globalWeights"]!);
        Assert.False((bool)variants[1]!["treatment"]!["globalWeights"]!);
        Assert.Equal(0.5, (double)variants[2]!["share"]!);
        Assert.Equal(0.5, (double)variants[2]!["treatment"]!["diversityLambda"]!);

        var list = await Json(await factory.Admin().GetAsync("/v1/experiments"));
        Assert.Contains(list["experiments"]!.AsArray(), e => (string?)e!["id"] == "api-cohort-vs-global");
        var one = await Json(await factory.Admin().GetAsync("/v1/experiments/api-cohort-vs-global"));
        Assert.Equal(new long[] { 701, 702 }, one["cohorts"]!.AsArray().Select(c => (long)c!));

        // Outcomes of the experiment, as serving records them, then the results read from the outcome grains.
        var recorder = factory.Services.GetRequiredService<IOutcomeRecorder>();
        var now = DateTimeOffset.UtcNow;
        foreach (var (variant, clicked) in new[] { ("global-baseline", 100L), ("cohort-model", 130L), ("low-lambda", 240L) })
        {
            var exposures = variant == "low-lambda" ? 1000 : 500;
            recorder.Record(new OutcomeKey(701, 1, "api-cohort-vs-global", variant, ServedStrategy.CohortModel), new OutcomeCounts(exposures, exposures * 4, clicked, 0, 0, 0, clicked, 0, 0), now);
        }

        JsonNode? results = null;
        await Eventually.True(
            async () =>
            {
                results = await Json(await factory.Admin().GetAsync("/v1/experiments/api-cohort-vs-global/results"));
                return results["report"]?["cohorts"]?.AsArray().Count == 1;
            },
            "the results read the flushed outcomes");
        var cohort = results!["report"]!["cohorts"]![0]!;
        Assert.Equal(701, (int)cohort["cohortId"]!);
        var arms = cohort["arms"]!.AsArray();
        Assert.Equal(0.2, (double)arms[0]!["primaryValue"]!, 12);
        Assert.Equal(0.26, (double)arms[1]!["primaryValue"]!, 12);
        var primary = cohort["primary"]!.AsArray();
        Assert.Equal(2, primary.Count);
        Assert.Equal("cohort-model", (string?)primary[0]!["variant"]);
        Assert.Equal(0.06, (double)primary[0]!["difference"]!, 12);
        Assert.NotNull(primary[0]!["decision"]!.GetValue<string>());
        Assert.Equal("minute", (string?)results["granularity"]);
        Assert.Null(results["bandit"]);

        var stopped = await Json(await factory.Admin().PostAsync("/v1/experiments/api-cohort-vs-global/stop", null));
        Assert.Equal("stopped", (string?)stopped["status"]);
        Assert.NotNull(stopped["stopped"]);
    }

    [Fact]
    public async Task A_taken_name_or_cohort_is_a_409_naming_the_field_and_an_unknown_id_a_404()
    {
        const string body = """{ "name": "api-taken", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }], "cohorts": [711] }""";
        Assert.Equal(HttpStatusCode.Created, (await factory.Admin().PostAsync("/v1/experiments", Body(body))).StatusCode);

        var again = await factory.Admin().PostAsync("/v1/experiments", Body(body));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("name", (string?)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["field"]);

        var overlap = await factory.Admin().PostAsync("/v1/experiments", Body(body.Replace("api-taken", "api-taken-2", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Conflict, overlap.StatusCode);
        Assert.Equal("cohorts", (string?)JsonNode.Parse(await overlap.Content.ReadAsStringAsync())!["field"]);

        foreach (var url in new[] { "/v1/experiments/nope", "/v1/experiments/nope/results" })
        {
            var missing = await factory.Admin().GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("id", (string?)JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["field"]);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await factory.Admin().PostAsync("/v1/experiments/nope/stop", null)).StatusCode);
    }

    [Theory]
    [InlineData("""{ "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }] }""", "name")]
    [InlineData("""{ "name": "bad name!", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }] }""", "name")]
    [InlineData("""{ "name": "v1" }""", "variants")]
    [InlineData("""{ "name": "v2", "variants": [{ "name": "a", "weight": 1 }] }""", "variants")]
    [InlineData("""{ "name": "v3", "variants": [{ "name": "a", "weight": 1 }, { "name": "a", "weight": 1 }] }""", "variants")]
    [InlineData("""{ "name": "v4", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 0 }] }""", "variants")]
    [InlineData("""{ "name": "v5", "variants": [{ "name": "a", "weight": 1 }, { "name": "b" }] }""", "variants[1].weight")]
    [InlineData("""{ "name": "v6", "variants": [{ "name": "a", "weight": 1 }, { "weight": 1 }] }""", "variants[1].name")]
    [InlineData("""{ "name": "v7", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1, "treatment": { "diversityLambda": 2 } }] }""", "variants[1].treatment.diversityLambda")]
    [InlineData("""{ "name": "v8", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1, "treatment": { "exploration": { "kind": "epsilon-greedy", "epsilon": 3 } } }] }""", "variants[1].treatment.exploration.epsilon")]
    [InlineData("""{ "name": "v8b", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1, "treatment": { "exploration": { "kind": "random" } } }] }""", "variants[1].treatment.exploration")]
    [InlineData("""{ "name": "v9", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }], "primaryMetric": "happiness" }""", "primaryMetric")]
    [InlineData("""{ "name": "v10", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }], "allocation": "bandit", "primaryMetric": "revenuePerImpression" }""", "primaryMetric")]
    [InlineData("""{ "name": "v11", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }], "minimumSampleSize": 1 }""", "minimumSampleSize")]
    [InlineData("""{ "name": "v12", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }], "cohorts": [] }""", "cohorts")]
    [InlineData("""{ "name": "v13", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }], "banditFloor": 0.9 }""", "banditFloor")]
    [InlineData("""{ "name": "v14", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }], "alpha": 1.5 }""", "alpha")]
    [InlineData("""{ "name": "v15", "variants": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }], "guardrails": ["ctr", 7] }""", "guardrails[1]")]
    public async Task A_bad_experiment_gets_a_400_problem_naming_the_field(string json, string field)
    {
        var response = await factory.Admin().PostAsync("/v1/experiments", Body(json));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonNode.Parse(text)!["errors"]![field] is not null, text);
    }

    [Fact]
    public async Task Analysts_read_experiments_and_alerts_and_only_admins_start_or_stop_them()
    {
        foreach (var url in new[] { "/v1/experiments", "/v1/experiments/x", "/v1/experiments/x/results", "/v1/alerts" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().GetAsync(url)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync(url)).StatusCode);
            Assert.NotEqual(HttpStatusCode.Forbidden, (await factory.Analyst().GetAsync(url)).StatusCode);
        }

        foreach (var client in new[] { factory.App(), factory.Analyst() })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/v1/experiments", Body("{}"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/v1/experiments/x/stop", null)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await factory.Analyst().GetAsync("/v1/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await factory.Analyst().GetAsync("/v1/alerts")).StatusCode);
    }

    [Fact]
    public async Task Alerts_raised_in_the_cluster_are_listed_newest_first_and_filtered()
    {
        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        await grains.RaiseAlert(new AlertInput("drift-psi", 721, "psi", 0.31, 0.2, "Cohort 721's features drifted."));
        await grains.RaiseAlert(new AlertInput("experiment-guardrail", 722, "always-valid p-value (ctr)", 0.001, 0.05, "Cohort 722 returned."));

        var all = await Json(await factory.Admin().GetAsync("/v1/alerts"));
        var alerts = all["alerts"]!.AsArray();
        Assert.True(alerts.Count >= 2);
        Assert.Equal(722, (int)alerts[0]!["cohortId"]!);
        Assert.Equal("experiment-guardrail", (string?)alerts[0]!["source"]);
        Assert.Equal(0.05, (double)alerts[0]!["threshold"]!);
        Assert.NotNull(alerts[0]!["at"]);

        var one = await Json(await factory.Admin().GetAsync("/v1/alerts?cohortId=721"));
        var only = Assert.Single(one["alerts"]!.AsArray())!;
        Assert.Equal("drift-psi", (string?)only["source"]);
        Assert.Equal("psi", (string?)only["statistic"]);
        Assert.Equal(0.31, (double)only["value"]!);
        Assert.Equal("Cohort 721's features drifted.", (string?)only["message"]);
        Assert.Single((await Json(await factory.Admin().GetAsync("/v1/alerts?source=drift-psi&limit=5")))["alerts"]!.AsArray());

        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=abc", "limit"), ("cohortId=-5", "cohortId") })
        {
            var bad = await factory.Admin().GetAsync($"/v1/alerts?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.NotNull(JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["errors"]![field]);
        }
    }
}
