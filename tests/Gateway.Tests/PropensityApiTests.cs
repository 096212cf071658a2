using System.Net;
using System.Net.Http.Json;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using static Cohortly.TestSupport.CohortlyApiClient;

namespace Cohortly.Gateway.Tests;

/// <summary>GET /v1/users/{id}/propensity and the ranker / purchase metrics of GET /v1/models/{version}, on a gateway of its own.</summary>
public sealed class PropensityApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task A_trained_version_shows_its_purchase_and_ranker_metrics_and_answers_a_users_propensity()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 160, Items = 120, Categories = 6, UserPrefix = "api-prop-" }, seed: 31);
        var app = factory.App();
        var events = world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 30, new Random(5));
        await WireEvents.PostAccepted(app, events, device: false);

        var admin = factory.Admin();
        var analyst = factory.Analyst();
        var user = events[^1].UserId;
        await Problems.AssertNames(await analyst.GetAsync("/v1/users/never-seen-user/propensity"), HttpStatusCode.NotFound, "userId");
        await Problems.AssertNames(await analyst.GetAsync("/v1/users/bad%20id/propensity"), HttpStatusCode.BadRequest, "userId");

        var active = await ApiTraining.TrainUntilLoaded(app, admin);

        var model = await Json(await analyst.GetAsync($"/v1/models/{active}"));
        // The same version also says what its self-tuning chose (Cohortly:Training:Tuning, on by default).
        var tuning = model["tuning"]!;
        Assert.True(tuning["enabled"]!.GetValue<bool>(), tuning.ToJsonString());
        Assert.InRange(tuning["trials"]!.AsArray().Count, 3, tuning["budget"]!.GetValue<int>() + 3);
        Assert.Equal(11, tuning["chosen"]!.AsObject().Count);
        Assert.NotNull(tuning["chosen"]!["blend.w_ease"]);
        Assert.NotNull(tuning["chosen"]!["blend.w_popularity"]);
        Assert.True(tuning["defaults"]!["ials.reg"]!.GetValue<double>() > 0, tuning.ToJsonString());
        var purchase = model["purchase"]!;
        Assert.True(purchase["trained"]!.GetValue<bool>(), purchase.ToJsonString());
        Assert.InRange(purchase["rocAuc"]!.GetValue<double>(), 0.0, 1.0);
        Assert.True(purchase["logLoss"]!.GetValue<double>() > 0);
        Assert.Equal(purchase["holdoutUsers"]!.GetValue<int>(), purchase["reliability"]!.AsArray().Sum(b => b!["users"]!.GetValue<int>()));
        var ranker = model["ranker"]!;
        Assert.Equal(model["cohorts"]!.AsArray().Count, ranker["cohorts"]!.AsArray().Count);
        Assert.All(ranker["cohorts"]!.AsArray(), c => Assert.InRange(c!["blendNdcg"]!.GetValue<double>(), 0.0, 1.0));

        var answer = await analyst.GetAsync($"/v1/users/{user}/propensity");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var propensity = await Json(answer);
        Assert.Equal(user, propensity["userId"]!.GetValue<string>());
        Assert.InRange(propensity["probability"]!.GetValue<double>(), 0.0, 1.0);
        Assert.Equal(14, propensity["windowDays"]!.GetValue<double>());
        Assert.Equal(active, propensity["modelVersion"]!.GetValue<long>());
        Assert.NotEmpty(propensity["contributions"]!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync($"/v1/users/{user}/propensity")).StatusCode);

        // The response says when the learned ranker ordered the list (a cohort where it won, or none).
        var servedCohorts = ranker["cohorts"]!.AsArray().Where(c => c!["serves"]!.GetValue<bool>()).Select(c => c!["cohortId"]!.GetValue<int>()).ToHashSet();
        var recommendation = await Json(await app.GetAsync($"/v1/users/{user}/recommendations?explain=true&explore=false"));
        var cohort = recommendation["cohortId"]?.GetValue<int>();
        var ranked = recommendation["ranker"]!.GetValue<bool>();
        Assert.Equal(ranked, cohort is { } id && servedCohorts.Contains(id) && recommendation["strategy"]!.GetValue<string>() is "cohort-model" or "global-model");
        if (ranked)
        {
            Assert.All(recommendation["items"]!.AsArray(), i => Assert.Contains(i!["contributions"]!.AsArray(), c => c!["feature"]!.GetValue<string>() == "ranker_base"));
        }
    }
}
