using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using static Cohortly.TestSupport.CohortlyApiClient;

namespace Cohortly.Gateway.Tests;

public sealed class TrainingApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task App_key_gets_403_on_training_and_model_routes()
    {
        var app = factory.App();
        await Problems.AssertNames(await app.PostAsync("/v1/admin/training", null), HttpStatusCode.Forbidden, "X-Api-Key");
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync("/v1/admin/training")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.PostAsync("/v1/models/1/activate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task Activating_an_unknown_or_malformed_version_is_a_problem_naming_the_version()
    {
        var admin = factory.Admin();
        await Problems.AssertNames(await admin.PostAsync("/v1/models/424242/activate", null), HttpStatusCode.NotFound, "version");
        await Problems.AssertNames(await admin.PostAsync("/v1/models/abc/activate", null), HttpStatusCode.BadRequest, "version");
        await Problems.AssertNames(await admin.PostAsync("/v1/models/0/activate", null), HttpStatusCode.BadRequest, "version");
    }

    [Fact]
    public async Task Posted_events_train_a_model_that_lists_as_active_and_can_be_activated()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 120, Items = 150, Categories = 8, UserPrefix = "api-tr-" }, seed: 21);
        var history = world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 10, new Random(2));
        var app = factory.App();
        await WireEvents.PostAccepted(app, history);

        var admin = factory.Admin();
        var before = await Json(await admin.GetAsync("/v1/models"));
        Assert.Equal(0, before["activeVersion"]!.GetValue<long>());
        Assert.Empty(before["versions"]!.AsArray());
        var item = world.Items[0].Id;
        var noModel = await app.GetAsync($"/v1/items/{item}/similar");
        Assert.Equal(HttpStatusCode.Conflict, noModel.StatusCode);
        Assert.Contains("model", await noModel.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var started = await admin.PostAsync("/v1/admin/training", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var run = await Json(started);
        Assert.Equal("running", run["state"]!.GetValue<string>());
        var runId = run["runId"]!.GetValue<string>();

        using var api = new CohortlyApiClient(app, GatewayFactory.AdminKey);
        var status = (await api.WaitForTrainingAsync(s => s["runId"]?.GetValue<string>() == runId, TimeSpan.FromMinutes(3), progress: null, CancellationToken.None)).Status;

        Assert.True(status["state"]!.GetValue<string>() == "succeeded", status.ToJsonString());
        Assert.Equal(100, status["percent"]!.GetValue<double>());
        var version = status["lastVersion"]!.GetValue<long>();
        Assert.Equal(version, status["activeVersion"]!.GetValue<long>());
        Assert.True(status["promoted"]!.GetValue<bool>());
        Assert.Contains("no active version", status["promotion"]!.GetValue<string>(), StringComparison.Ordinal);

        var models = await Json(await admin.GetAsync("/v1/models"));
        Assert.Equal(version, models["activeVersion"]!.GetValue<long>());
        var listed = Assert.Single(models["versions"]!.AsArray())!;
        Assert.Equal(version, listed["version"]!.GetValue<long>());
        Assert.True(listed["active"]!.GetValue<bool>());
        // Every posted user reached the log before the 202, so training saw all of them.
        Assert.Equal(world.Users.Count, listed["users"]!.GetValue<int>());
        Assert.NotEmpty(listed["cohorts"]!.AsArray());
        Assert.NotNull(listed["cohorts"]![0]!["globalNdcg"]);
        Assert.Equal("active", listed["status"]!.GetValue<string>());
        Assert.Contains("no active version to compare with", listed["why"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(listed["promotion"]);
        Assert.False(listed["forced"]!.GetValue<bool>());
        // The embedded silo reports the version it loaded.
        await Eventually.True(
            async () => (await Json(await admin.GetAsync($"/v1/models/{version}")))["silos"]!.AsArray().Any(l => l!["state"]!.GetValue<string>() == "loaded"),
            "the silo reports the version loaded");

        var activated = await admin.PostAsync($"/v1/models/{version}/activate", null);
        Assert.Equal(HttpStatusCode.OK, activated.StatusCode);
        var info = await Json(activated);
        Assert.Equal(version, info["version"]!.GetValue<long>());
        Assert.True(info["active"]!.GetValue<bool>());
        Assert.Equal("active", info["status"]!.GetValue<string>());
        // Its own segmentation is already current: nothing to restore.
        Assert.False(info["activation"]!["segmentationRestored"]!.GetValue<bool>());
        Assert.True(info["activation"]!["segmentationVersion"]!.GetValue<long>() > 0);

        // The silo serves the trained model: recommendations say which version, similar items come from it.
        var user = world.Users[0].Id;
        JsonNode recommendations = null!;
        await Eventually.True(async () =>
        {
            recommendations = await Json(await app.GetAsync($"/v1/users/{user}/recommendations?count=5&explain=true"));
            return recommendations["modelVersion"]?.GetValue<long>() == version;
        }, "recommendations come from the trained version");
        Assert.Equal(5, recommendations["items"]!.AsArray().Count);
        Assert.NotEmpty(recommendations["items"]![0]!["contributions"]!.AsArray());
        Assert.False(recommendations["fallback"]!.GetValue<bool>());

        var similar = await Json(await app.GetAsync($"/v1/items/{item}/similar?count=4"));
        Assert.Equal(version, similar["modelVersion"]!.GetValue<long>());
        Assert.Equal(4, similar["items"]!.AsArray().Count);
        Assert.DoesNotContain(similar["items"]!.AsArray(), i => i!["itemId"]!.GetValue<string>() == item);
        var unknown = await app.GetAsync("/v1/items/no-such-item/similar");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("itemId", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.GetAsync($"/v1/items/{item}/similar?count=0")).StatusCode);
    }
}
