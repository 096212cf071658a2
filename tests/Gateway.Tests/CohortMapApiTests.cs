using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;

namespace Cohortly.Gateway.Tests;

/// <summary>The cohort map, traits and cohort-fit endpoints (own gateway: segmentation state is cluster-wide).</summary>
public sealed class CohortMapApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Before_any_segmentation_the_map_traits_and_fit_say_so_and_bad_input_names_the_field()
    {
        // A gateway of its own: the other test publishes a segmentation in the shared one.
        await using var empty = new GatewayFactory();
        using var analyst = empty.Analyst();
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/map"), HttpStatusCode.NotFound, "version");
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/map?version=0"), HttpStatusCode.BadRequest, "version");
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/map?version=-3"), HttpStatusCode.BadRequest, "version");
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/map?points=0"), HttpStatusCode.BadRequest, "points");
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/map?points=5001"), HttpStatusCode.BadRequest, "points");
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/map?points=1e3"), HttpStatusCode.BadRequest, "points");
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/abc/traits"), HttpStatusCode.BadRequest, "cohortId");
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/0/traits"), HttpStatusCode.BadRequest, "cohortId");
        await AssertProblem(await analyst.GetAsync("/v1/cohorts/4/traits"), HttpStatusCode.NotFound, "cohortId");
        using var admin = empty.Admin();
        await AssertProblem(await admin.GetAsync("/v1/users/nobody-here/cohort-fit"), HttpStatusCode.NotFound, "userId");
        await AssertProblem(await admin.GetAsync("/v1/users/bad%20id/cohort-fit"), HttpStatusCode.BadRequest, "userId");
    }

    [Fact]
    public async Task Map_traits_and_fit_describe_the_published_segmentation()
    {
        using var admin = factory.Admin();
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 60, Items = 150, UserPrefix = "map-" }, seed: 21);
        (await admin.PutAsJsonAsync("/v1/items", new { items = world.Items.Select(i => new { id = i.Id, title = i.Title, categories = new[] { i.Category }, price = i.Price }) })).EnsureSuccessStatusCode();
        var history = world.History(DateTimeOffset.UtcNow, 14, new Random(4));
        await WireEvents.PostAccepted(admin, history, device: false);

        // Every event applied before the run samples: the map places the sample as it is when read under the version's
        // centroids, so a user whose row was still moving when the run sampled could land in another cohort (seen once in
        // CI: a small cohort's only users had moved, and the map showed two of the version's three cohorts).
        foreach (var posted in history.GroupBy(e => e.UserId))
        {
            await Eventually.True(async () =>
            {
                var profile = await admin.GetAsync($"/v1/users/{posted.Key}");
                return profile.IsSuccessStatusCode
                    && (await profile.Content.ReadFromJsonAsync<JsonNode>())!["counts"]!.AsObject().Sum(c => c.Value!.GetValue<long>()) == posted.Count();
            }, $"{posted.Key}'s events are applied");
        }

        JsonNode? version = null;
        await Eventually.True(async () =>
        {
            var response = await admin.PostAsync("/v1/admin/segmentation", null);
            version = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonNode>() : null;
            return version?["sampleSize"]!.GetValue<int>() == 60;
        }, "all users are sampled");
        var v = version!["version"]!.GetValue<long>();
        var cohortIds = version["cohorts"]!.AsArray().Select(c => c!["id"]!.GetValue<int>()).Order().ToList();
        Assert.Equal(60, version["cohorts"]!.AsArray().Sum(c => c!["sampledUsers"]!.GetValue<int>()));

        using var analyst = factory.Analyst();
        var map = (await analyst.GetFromJsonAsync<JsonNode>("/v1/cohorts/map"))!;
        Assert.Equal(v, map["segmentationVersion"]!.GetValue<long>());
        Assert.Equal(60, map["sampleSize"]!.GetValue<int>());
        var points = map["points"]!.AsArray();
        Assert.Equal(60, points.Count);
        Assert.Equal(world.Users.Select(u => u.Id).Order(), points.Select(p => p!["userId"]!.GetValue<string>()).Order());
        Assert.Equal(cohortIds, points.Select(p => p!["cohortId"]!.GetValue<int>()).Distinct().Order());
        Assert.Equal(cohortIds, map["centroids"]!.AsArray().Select(c => c!["cohortId"]!.GetValue<int>()).Order());
        var explained = map["explainedVariance"]!.AsArray().Select(x => x!.GetValue<double>()).ToList();
        Assert.Equal(2, explained.Count);
        Assert.True(explained[0] >= explained[1] && explained[0] > 0 && explained.Sum() <= 1.000001, string.Join(",", explained));

        var few = (await analyst.GetFromJsonAsync<JsonNode>($"/v1/cohorts/map?version={v}&points=10"))!;
        Assert.Equal(10, few["points"]!.AsArray().Count);
        await AssertProblem(await analyst.GetAsync($"/v1/cohorts/map?version={v + 1}"), HttpStatusCode.NotFound, "version");

        var cohort = cohortIds[0];
        var traits = (await analyst.GetFromJsonAsync<JsonNode>($"/v1/cohorts/{cohort}/traits"))!;
        Assert.Equal(v, traits["segmentationVersion"]!.GetValue<long>());
        var list = traits["traits"]!.AsArray();
        Assert.Equal(15, list.Count);
        var centroid = (await analyst.GetFromJsonAsync<JsonNode>($"/v1/cohorts/{cohort}"))!["centroid"]!.AsArray();
        for (var i = 0; i < list.Count; i++)
        {
            Assert.Equal(centroid[i]!["name"]!.GetValue<string>(), list[i]!["name"]!.GetValue<string>());
            Assert.Equal(centroid[i]!["value"]!.GetValue<double>(), list[i]!["standardized"]!.GetValue<double>(), 4);
            Assert.False(string.IsNullOrWhiteSpace(list[i]!["explanation"]!.GetValue<string>()));
        }

        // Why is this user here: the nearest centroid is the cohort the user is assigned to.
        var user = world.Users[0].Id;
        var mapped = points.First(p => p!["userId"]!.GetValue<string>() == user)!["cohortId"]!.GetValue<int>();
        var fit = (await admin.GetFromJsonAsync<JsonNode>($"/v1/users/{user}/cohort-fit"))!;
        Assert.Equal(v, fit["segmentationVersion"]!.GetValue<long>());
        Assert.Equal(mapped, fit["nearestCohortId"]!.GetValue<int>());
        var distances = fit["distances"]!.AsArray().Select(d => d!["distance"]!.GetValue<double>()).ToList();
        Assert.Equal(cohortIds.Count, distances.Count);
        Assert.Equal(distances.Order(), distances);
        Assert.Equal(15, fit["features"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.GetAsync($"/v1/users/{user}/cohort-fit")).StatusCode);
        Assert.Equal(cohort.ToString(CultureInfo.InvariantCulture), traits["cohortId"]!.ToJsonString());
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        var named = body["field"]?.GetValue<string>() == field || body["errors"]?[field] is not null;
        Assert.True(named, $"expected a problem naming {field}: {body.ToJsonString()}");
    }
}
