using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Cohortly.Gateway.Tests;

public sealed class UserAttributesApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Attributes_are_stored_and_shown_in_the_profile_once_the_user_has_events()
    {
        var client = factory.App();
        var put = await client.PutAsJsonAsync("/v1/users/attr-ann/attributes", new Dictionary<string, string> { ["ageBand"] = "25-34", ["country"] = "NL" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var view = JsonNode.Parse(await put.Content.ReadAsStringAsync())!;
        Assert.Equal("NL", (string?)view["attributes"]!["country"]);
        Assert.Equal("attr-ann", (string?)view["userId"]);

        // Replacing drops what is not sent again.
        put = await client.PutAsJsonAsync("/v1/users/attr-ann/attributes", new Dictionary<string, string> { ["country"] = "BE" });
        view = JsonNode.Parse(await put.Content.ReadAsStringAsync())!;
        Assert.Equal("BE", (string?)view["attributes"]!["country"]);
        Assert.Null(view["attributes"]!["ageBand"]);

        var batch = new { events = new[] { new { eventId = "attr-e1", userId = "attr-ann", itemId = "i1", type = "view" } } };
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/events", batch)).StatusCode);
        JsonNode? profile = null;
        for (var attempt = 0; attempt < 200 && profile is null; attempt++)
        {
            var response = await client.GetAsync("/v1/users/attr-ann");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                profile = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            }
            else
            {
                await Task.Delay(25);
            }
        }

        Assert.NotNull(profile);
        Assert.Equal("BE", (string?)profile!["attributes"]!["country"]);
    }

    [Theory]
    [InlineData("{\"bad name\":\"x\"}", "bad name")]
    [InlineData("{\"country\":\"\"}", "country")]
    [InlineData("{\"country\":null}", "country")]
    [InlineData("{\"country\":12}", "country")]
    [InlineData("[1,2]", "body")]
    public async Task Bad_attributes_name_the_field(string json, string field)
    {
        var response = await factory.App().PutAsync("/v1/users/attr-bad/attributes", new StringContent(json, Encoding.UTF8, "application/json"));
        await Problems.AssertNames(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Too_many_attributes_are_rejected()
    {
        var many = new Dictionary<string, string>();
        for (var i = 0; i < 40; i++)
        {
            many[$"a{i}"] = "v";
        }

        await Problems.AssertNames(await factory.App().PutAsJsonAsync("/v1/users/attr-many/attributes", many), HttpStatusCode.BadRequest, "body");
    }

    [Theory]
    [InlineData("explain=maybe", "explain")]
    [InlineData("explore=1", "explore")]
    [InlineData("include=", "include")]
    [InlineData("exclude=,,", "exclude")]
    [InlineData("device=", "device")]
    public async Task Bad_recommendation_options_name_the_parameter(string query, string field)
    {
        await Problems.AssertNames(await factory.App().GetAsync("/v1/users/attr-opt/recommendations?" + query), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Recommendation_options_are_accepted()
    {
        var response = await factory.App().GetAsync("/v1/users/attr-opt/recommendations?count=3&explain=true&explore=false&device=mobile&include=books,games&exclude=toys");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
