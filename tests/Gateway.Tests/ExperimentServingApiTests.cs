using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Experiments;

namespace Cohortly.Gateway.Tests;

/// <summary>An experiment end to end over HTTP: create, serve, count, read. Its own gateway: the experiment covers every cohort.</summary>
public sealed class ExperimentServingApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Recommendations_say_which_experiment_and_variant_served_them_and_the_results_count_them()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 120, Items = 150, Categories = 8, UserPrefix = "api-exp-" }, seed: 23);
        var app = factory.App();
        await WireEvents.PostAccepted(app, world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 10, new Random(3)));

        using var api = new CohortlyApiClient(app, GatewayFactory.AdminKey);
        var run = await api.TrainAsync(TimeSpan.FromMinutes(3), progress: null, CancellationToken.None);
        Assert.True(run.Succeeded, run.Status.ToJsonString());
        var users = world.Users.Take(40).Select(u => u.Id).ToArray();
        Assert.NotNull(await api.WaitUntilServedAsync(users[0], run.Version!.Value, TimeSpan.FromMinutes(1), CancellationToken.None));

        var created = await factory.Admin().PostAsync("/v1/experiments", new StringContent(
            """{ "name": "e2e", "variants": [{ "name": "global-baseline", "weight": 1 }, { "name": "cohort-model", "weight": 1 }], "minimumSampleSize": 10 }""",
            Encoding.UTF8,
            "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var definition = ExperimentDefinition.CohortModelVsGlobal("e2e");

        // The silos pick the experiment up on their next cache poll; from then on every response names its variant.
        await Eventually.True(
            async () => (await CohortlyApiClient.Json(await app.GetAsync($"/v1/users/{users[0]}/recommendations?count=3")))["experiment"] is not null,
            "recommendations carry the experiment");
        var served = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            var response = await CohortlyApiClient.Json(await app.GetAsync($"/v1/users/{user}/recommendations?count=5&explore=false"));
            var variant = (string?)response["variant"];
            Assert.Equal("e2e", (string?)response["experiment"]);
            Assert.Equal(ExperimentAssignment.Variant(definition, user), variant);
            if (variant == ExperimentDefinition.GlobalBaseline)
            {
                Assert.Equal("global-model", (string?)response["strategy"]);
            }

            served[variant!] = served.GetValueOrDefault(variant!) + 1;
        }

        Assert.Equal(2, served.Count);

        // The results read those exposures back from the outcome grains, per cohort at exposure and variant.
        await Eventually.True(
            async () =>
            {
                var results = await CohortlyApiClient.Json(await factory.Admin().GetAsync("/v1/experiments/e2e/results"));
                var arms = results["report"]!["pooled"]!["arms"]!.AsArray();
                return arms.All(a => (long)a!["counts"]!["exposures"]! >= served[(string)a["variant"]!]);
            },
            "the results count every served response");
    }
}
