using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;

namespace Cohortly.Gateway.Tests;

/// <summary>The merchandising rules over HTTP: replace, read, rejections naming the field, and a rule served and counted. Own gateway.</summary>
public sealed class RulesApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task PutCatalogAsync(SyntheticWorld world)
    {
        var body = new
        {
            items = world.Items.Select(i => new { id = i.Id, title = i.Title, categories = new[] { i.Category }, tags = i.Tags, price = i.Price, available = true }),
        };
        Assert.Equal(HttpStatusCode.OK, (await factory.Admin().PutAsJsonAsync("/v1/items", body)).StatusCode);
    }

    [Theory]
    [InlineData("""{"rules":[{"kind":"boost","id":"b","match":{"tags":["x"]},"factor":9}]}""", "rules[0].factor")]
    [InlineData("""{"rules":[{"kind":"pin","id":"p","itemId":"nope","slot":1}]}""", "rules[0].itemId")]
    [InlineData("""{"rules":[{"kind":"cap","id":"c","max":0}]}""", "rules[0].max")]
    [InlineData("""{"rules":[{"kind":"wat","id":"c"}]}""", "rules[0]")]
    [InlineData("""{"rules":[{"kind":"cap","id":"c","max":2},{"kind":"cap","id":"c","max":3}]}""", "rules[1].id")]
    [InlineData("""{"rules":5}""", "rules")]
    public async Task A_bad_rule_set_is_a_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        await PutCatalogAsync(SyntheticWorld.Create(new SyntheticWorldOptions { Users = 5, Items = 40, Categories = 4 }, seed: 5));
        var admin = factory.Admin();
        var before = await admin.GetFromJsonAsync<JsonNode>("/v1/rules");

        var response = await admin.PutAsync("/v1/rules", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonNode>();
        Assert.Contains(problem!["errors"]!.AsObject(), e => e.Key.StartsWith(field, StringComparison.Ordinal));
        Assert.True(JsonNode.DeepEquals(before, await admin.GetFromJsonAsync<JsonNode>("/v1/rules")));
    }

    [Fact]
    public async Task A_rule_set_that_would_hide_every_item_is_rejected_naming_the_rule()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 5, Items = 40, Categories = 4 }, seed: 5);
        await PutCatalogAsync(world);
        var categories = string.Join(",", world.Categories.Select(c => $"\"{c}\""));

        var response = await factory.Admin().PutAsync("/v1/rules", Json($$"""{"rules":[{"kind":"minPrice","id":"m","price":1},{"kind":"block","id":"all","categories":[{{categories}}]}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonNode>();
        Assert.NotNull(problem!["errors"]!["rules[1].categories"]);
    }

    [Fact]
    public async Task A_pin_is_served_at_its_slot_named_on_the_item_and_its_outcomes_split_by_rule()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 80, Items = 120, Categories = 6, UserPrefix = "rules-" }, seed: 29);
        await PutCatalogAsync(world);
        var app = factory.App();
        await WireEvents.PostAccepted(app, world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 10, new Random(3)));

        using var api = new CohortlyApiClient(app, GatewayFactory.AdminKey);
        var run = await api.TrainAsync(TimeSpan.FromMinutes(3), progress: null, CancellationToken.None);
        Assert.True(run.Succeeded, run.Status.ToJsonString());
        var user = world.Users[0].Id;
        Assert.NotNull(await api.WaitUntilServedAsync(user, run.Version!.Value, TimeSpan.FromMinutes(1), CancellationToken.None));
        var before = await api.RecommendAsync(user, 20, explore: false, CancellationToken.None);
        var pinned = before.Items[^1];

        var put = await factory.Admin().PutAsync("/v1/rules", Json($$"""{"rules":[{"kind":"pin","id":"hero","itemId":"{{pinned}}","slot":1,"priority":5}]}"""));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var stored = await put.Content.ReadFromJsonAsync<JsonNode>();
        Assert.True(stored!["version"]!.GetValue<long>() >= 1);
        Assert.Equal("pin", (string?)stored["rules"]![0]!["kind"]);
        Assert.True(JsonNode.DeepEquals(stored, await factory.Analyst().GetFromJsonAsync<JsonNode>("/v1/rules")));

        // Each silo picks the set up on its next cache poll.
        JsonNode? first = null;
        await Eventually.True(
            async () =>
            {
                first = (await CohortlyApiClient.Json(await app.GetAsync($"/v1/users/{user}/recommendations?count=5&explore=false")))["items"]![0];
                return (string?)first!["itemId"] == pinned;
            },
            "the pinned item leads the list");
        Assert.Equal("hero", (string?)first!["rules"]![0]);

        await Eventually.True(
            async () =>
            {
                var outcomes = await CohortlyApiClient.Json(await factory.Admin().GetAsync("/v1/outcomes?groupBy=rule&granularity=minute"));
                return outcomes["groups"]!.AsArray().Any(g => (string?)g!["key"] == "hero" && (long)g["total"]!["impressions"]! >= 1);
            },
            "the pin's impressions are counted under its rule");
    }
}
