using System.Net;
using System.Net.Http.Json;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Microsoft.Extensions.DependencyInjection;
using static Cohortly.TestSupport.CohortlyApiClient;

namespace Cohortly.Gateway.Tests;

/// <summary>GET /v1/models/{version} and the statuses, on a gateway of its own (it plants a rejected version).</summary>
public sealed class ModelsApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Model_views_show_a_rejected_version_with_why_and_activating_it_needs_force()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 80, Items = 120, Categories = 6, UserPrefix = "api-rej-" }, seed: 23);
        var app = factory.App();
        await WireEvents.PostAccepted(app, world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 7, new Random(3)), device: false);

        var admin = factory.Admin();
        var active = await ApiTraining.TrainUntilLoaded(app, admin);

        // A version the gate rejected, planted from the active artifact under a new number.
        var store = factory.Services.GetRequiredService<Cohortly.Grains.Training.IModelStore>();
        var registry = factory.Services.GetRequiredService<IClusterClient>().GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);
        var planted = active + 100;
        await store.SaveAsync(planted, (await store.LoadAsync(active, CancellationToken.None))!, CancellationToken.None);
        var trained = (await registry.List()).Versions.Single(v => v.Version == active);
        await registry.Register(trained with { Version = planted, Status = ModelStatus.Unknown, StatusReason = null });
        await registry.Reject(planted, "worse than the active version beyond the 2.0 % tolerance: planted by the test");

        var rejected = await Json(await admin.GetAsync($"/v1/models/{planted}"));
        Assert.Equal("rejected", rejected["status"]!.GetValue<string>());
        Assert.Contains("planted by the test", rejected["why"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(rejected["active"]!.GetValue<bool>());
        Assert.All(rejected["silos"]!.AsArray(), l => Assert.Equal("not-loaded", l!["state"]!.GetValue<string>()));
        Assert.NotEmpty(rejected["silos"]!.AsArray());
        await Problems.AssertNames(await admin.GetAsync("/v1/models/987654"), HttpStatusCode.NotFound, "version");
        await Problems.AssertNames(await admin.GetAsync("/v1/models/x1"), HttpStatusCode.BadRequest, "version");

        await Problems.AssertNames(await admin.PostAsync($"/v1/models/{planted}/activate", null), HttpStatusCode.Conflict, "force");
        Assert.Equal(active, (await Json(await admin.GetAsync("/v1/models")))["activeVersion"]!.GetValue<long>());

        var forced = await Json(await admin.PostAsync($"/v1/models/{planted}/activate?force=true", null));
        Assert.Equal("active", forced["status"]!.GetValue<string>());
        Assert.True(forced["forced"]!.GetValue<bool>());
        Assert.Contains("over the promotion gate", forced["why"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(forced["activation"]!["segmentationRestored"]!.GetValue<bool>());
        var list = await Json(await admin.GetAsync("/v1/models"));
        var retired = list["versions"]!.AsArray().Single(v => v!["version"]!.GetValue<long>() == active)!;
        Assert.Equal("retired", retired["status"]!.GetValue<string>());
        Assert.Equal($"replaced by version {planted}", retired["why"]!.GetValue<string>());
        await Eventually.True(
            async () => (await Json(await admin.GetAsync($"/v1/models/{planted}")))["silos"]!.AsArray().Any(l => l!["state"]!.GetValue<string>() == "loaded"),
            "the silo loads the forced version and says so");

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/models/{active}/activate", null)).StatusCode);
    }
}
