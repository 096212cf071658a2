using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Cohortly.Gateway.Tests;

/// <summary>Own gateway: a cohort's policy is cluster state. Cohort 0 (all users) exists before any segmentation.</summary>
public sealed class CohortPolicyApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private const string Thompson = """{"exploration":{"kind":"thompson","alpha":2,"beta":3},"diversityLambda":0.8,"explorationSlots":2}""";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Put_overrides_get_shows_it_and_delete_returns_to_the_models_policy()
    {
        var admin = factory.Admin();
        try
        {
            var initial = await admin.GetFromJsonAsync<JsonNode>("/v1/cohorts/0/policy");
            Assert.Equal(0, initial!["cohortId"]!.GetValue<int>());
            Assert.Equal("model-default", initial["source"]!.GetValue<string>());
            Assert.Null(initial["override"]);

            var put = await admin.PutAsync("/v1/cohorts/0/policy", Json(Thompson));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var set = await put.Content.ReadFromJsonAsync<JsonNode>();
            Assert.Equal("override", set!["source"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Thompson), set["effective"]), set["effective"]!.ToJsonString());
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Thompson), set["override"]));
            Assert.NotNull(set["overrideSince"]);
            Assert.NotNull(set["since"]);

            var read = await admin.GetFromJsonAsync<JsonNode>("/v1/cohorts/0/policy");
            Assert.True(JsonNode.DeepEquals(set, read), read!.ToJsonString());

            var delete = await admin.DeleteAsync("/v1/cohorts/0/policy");
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            var cleared = await delete.Content.ReadFromJsonAsync<JsonNode>();
            Assert.Equal("model-default", cleared!["source"]!.GetValue<string>());
            Assert.Null(cleared["override"]);
            Assert.Null(cleared["effective"]);
        }
        finally
        {
            await admin.DeleteAsync("/v1/cohorts/0/policy");
        }
    }

    [Theory]
    [InlineData("""{"exploration":{"kind":"ucb1","constant":-1},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.constant")]
    [InlineData("""{"exploration":{"kind":"ucb"},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.kind")]
    [InlineData("""{"exploration":{"kind":"epsilon-greedy","epsilon":0.1},"diversityLambda":2,"explorationSlots":1}""", "diversityLambda")]
    [InlineData("""{"exploration":{"kind":"epsilon-greedy","epsilon":1.5},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.epsilon")]
    [InlineData("""{"exploration":{"kind":"none"},"diversityLambda":0.9,"explorationSlots":-1}""", "explorationSlots")]
    [InlineData("""{"exploration":{"kind":"none"},"diversityLambda":0.9""", "body")]
    public async Task A_bad_policy_is_a_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var admin = factory.Admin();
        var before = await admin.GetFromJsonAsync<JsonNode>("/v1/cohorts/0/policy");

        var response = await admin.PutAsync("/v1/cohorts/0/policy", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonNode>();
        Assert.NotNull(problem!["errors"]![field]);
        Assert.Contains(field, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(before, await admin.GetFromJsonAsync<JsonNode>("/v1/cohorts/0/policy")));
    }

    [Fact]
    public async Task An_unknown_cohort_is_a_404_and_a_malformed_id_a_400()
    {
        var admin = factory.Admin();

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/cohorts/4242/policy")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsync("/v1/cohorts/4242/policy", Json(Thompson))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/v1/cohorts/4242/policy")).StatusCode);
        var bad = await admin.GetAsync("/v1/cohorts/-1/policy");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await bad.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!["cohortId"]);
    }

    [Fact]
    public async Task Only_the_admin_key_may_change_a_policy()
    {
        using var anonymous = factory.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsync("/v1/cohorts/0/policy", Json(Thompson))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().PutAsync("/v1/cohorts/0/policy", Json(Thompson))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().DeleteAsync("/v1/cohorts/0/policy")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.App().GetAsync("/v1/cohorts/0/policy")).StatusCode);
        var after = await factory.Admin().GetFromJsonAsync<JsonNode>("/v1/cohorts/0/policy");
        Assert.Null(after!["override"]);
    }
}
