using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.DependencyInjection;
using static Cohortly.TestSupport.CohortlyApiClient;

namespace Cohortly.Gateway.Tests;

/// <summary>Erasure, export and consent in the embedded mode, end to end through the HTTP API.</summary>
public sealed class PrivacyApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Erased_user_is_gone_from_state_log_and_serving_and_the_next_training_does_not_see_them()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 80, Items = 120, Categories = 6, UserPrefix = "priv-er-" }, seed: 31);
        var history = world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 10, new Random(4));
        var app = factory.App();
        var admin = factory.Admin();
        await WireEvents.PostAccepted(app, history);

        var victim = history.GroupBy(e => e.UserId).OrderByDescending(g => g.Count()).First().Key;
        var victimEvents = history.Count(e => e.UserId == victim);
        await Eventually.True(
            async () => (await app.GetAsync($"/v1/users/{victim}")) is { StatusCode: HttpStatusCode.OK } r && (await Json(r))["counts"]!.AsObject().Sum(c => c.Value!.GetValue<long>()) == victimEvents,
            "the victim's profile holds all their events");
        Assert.Equal(HttpStatusCode.OK, (await app.PutAsJsonAsync($"/v1/users/{victim}/attributes", new { country = "de" })).StatusCode);

        using var api = new CohortlyApiClient(app, GatewayFactory.AdminKey);
        var first = (await api.TrainAsync(TimeSpan.FromMinutes(3), null, CancellationToken.None)).Status;
        Assert.True(first["state"]!.GetValue<string>() == "succeeded", first.ToJsonString());
        var version = first["lastVersion"]!.GetValue<long>();
        Assert.NotNull(await api.WaitUntilServedAsync(victim, version, TimeSpan.FromSeconds(30), CancellationToken.None));

        // Before: the export holds everything.
        var before = await Json(await admin.GetAsync($"/v1/users/{victim}/export"));
        Assert.Equal(victim, before["userId"]!.GetValue<string>());
        Assert.Equal(victimEvents, before["loggedEvents"]!.AsArray().Count);
        Assert.All(before["loggedEvents"]!.AsArray(), e => Assert.Equal(victim, e!["userId"]!.GetValue<string>()));
        Assert.Equal("de", before["attributes"]!["country"]!.GetValue<string>());
        Assert.Equal("de", before["loggedAttributes"]!["country"]!.GetValue<string>());
        Assert.NotEmpty(before["servedRecommendations"]!.AsArray());
        Assert.NotEmpty(before["servedRecommendations"]![0]!["items"]!.AsArray());
        Assert.NotNull(before["profile"]);
        Assert.True(before["modelRow"]!["present"]!.GetValue<bool>());
        Assert.False(before["modelRow"]!["ignored"]!.GetValue<bool>());
        Assert.True(before["modelRow"]!["trainedItems"]!.GetValue<int>() > 0);
        Assert.True(before["personalization"]!.GetValue<bool>());
        Assert.Null(before["erasedAt"]);

        var erased = await admin.DeleteAsync($"/v1/users/{victim}");
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        var counts = await Json(erased);
        Assert.Equal(victimEvents, counts["logEvents"]!.GetValue<long>());
        Assert.Equal(victimEvents, counts["profileEvents"]!.GetValue<long>());
        Assert.True(counts["servedRecommendations"]!.GetValue<int>() >= 1);
        Assert.Equal(1, counts["attributes"]!.GetValue<int>());
        Assert.True(counts["logAttributeRecords"]!.GetValue<long>() >= 1);
        Assert.True(counts["modelRowIgnored"]!.GetValue<bool>());
        Assert.True(counts["removed"]!.GetValue<bool>());

        await Problems.AssertNames(await app.GetAsync($"/v1/users/{victim}"), HttpStatusCode.NotFound, "userId");
        var after = await Json(await admin.GetAsync($"/v1/users/{victim}/export"));
        Assert.Empty(after["loggedEvents"]!.AsArray());
        Assert.Null(after["loggedAttributes"]);
        Assert.Empty(after["attributes"]!.AsObject());
        Assert.Empty(after["servedRecommendations"]!.AsArray());
        Assert.Empty(after["cohortHistory"]!.AsArray());
        Assert.Null(after["profile"]);
        // The stored version still has the row, and it is never served again.
        Assert.True(after["modelRow"]!["present"]!.GetValue<bool>());
        Assert.True(after["modelRow"]!["ignored"]!.GetValue<bool>());
        Assert.NotNull(after["erasedAt"]);

        // Idempotent: a repeat removes nothing and says so.
        var again = await Json(await admin.DeleteAsync($"/v1/users/{victim}"));
        Assert.Equal(0, again["logEvents"]!.GetValue<long>());
        Assert.Equal(0, again["profileEvents"]!.GetValue<long>());
        Assert.False(again["modelRowIgnored"]!.GetValue<bool>());
        Assert.False(again["removed"]!.GetValue<bool>());

        // Served like a stranger: the trained row no longer shapes the list. The silo's trending lists follow the
        // flushes, so a pair read across a flush is read again; a list still shaped by the row never matches.
        var (stranger, served) = await Eventually.Value(async () =>
        {
            var a = await Json(await app.GetAsync("/v1/users/priv-er-never-seen/recommendations?count=8&explore=false"));
            var b = await Json(await app.GetAsync($"/v1/users/{victim}/recommendations?count=8&explore=false"));
            return (a, b);
        }, pair => Ids(pair.a).SequenceEqual(Ids(pair.b)), "the erased user is served the stranger's list");
        Assert.Equal(version, served["modelVersion"]!.GetValue<long>());
        Assert.Equal(Ids(stranger), Ids(served));
        Assert.Equal(stranger["strategy"]!.GetValue<string>(), served["strategy"]!.GetValue<string>());

        // The audit trail recorded the erasure and both exports.
        var audit = (await Json(await admin.GetAsync("/v1/admin/audit"))).ToJsonString();
        Assert.Contains("DELETE /v1/users/{userId}", audit, StringComparison.Ordinal);
        Assert.Contains("GET /v1/users/{userId}/export", audit, StringComparison.Ordinal);

        // The next training reads a log without them and trains a model without their row.
        var log = await factory.Services.GetRequiredService<IInteractionLog>().ReadAsync(DateTimeOffset.MinValue, CancellationToken.None);
        Assert.DoesNotContain(log.Events, e => e.UserId == victim);
        Assert.DoesNotContain(log.Attributes, a => a.UserId == victim);
        var second = (await api.TrainAsync(TimeSpan.FromMinutes(3), null, CancellationToken.None)).Status;
        Assert.True(second["state"]!.GetValue<string>() == "succeeded", second.ToJsonString());
        var retrained = second["lastVersion"]!.GetValue<long>();
        Assert.True(retrained > version);
        var bytes = await factory.Services.GetRequiredService<IModelStore>().LoadAsync(retrained, CancellationToken.None);
        var bundle = ModelBundle.FromBytes(bytes!);
        Assert.Null(bundle.UserIndex(victim));
        Assert.NotNull(bundle.UserIndex(world.Users.First(u => u.Id != victim).Id));

        static List<string> Ids(JsonNode response) => [.. response["items"]!.AsArray().Select(i => i!["itemId"]!.GetValue<string>())];
    }

    [Fact]
    public async Task Withheld_consent_serves_popularity_keeps_no_profile_or_log_and_consent_restores_personalization()
    {
        const string user = "priv-consent-1";
        var app = factory.App();
        var admin = factory.Admin();
        var now = DateTimeOffset.UtcNow;
        SyntheticEvent Event(string id, string item, InteractionType type = InteractionType.View) => new(id, user, item, type, null, now, "mobile");
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostAsJsonAsync("/v1/events", WireEvents.Body([Event("c1", "i1"), Event("c2", "i2"), Event("c3", "i3")]))).StatusCode);
        await Eventually.True(async () => (await app.GetAsync($"/v1/users/{user}")).StatusCode == HttpStatusCode.OK, "the profile exists");
        // The silo's aggregates reach the cohort grains about once a second: until then nothing is popular and a
        // non-personalized list would be empty. Another withheld user shows when it is not.
        Assert.Equal(HttpStatusCode.OK, (await app.PutAsJsonAsync("/v1/users/priv-consent-probe/consent", new { personalization = false })).StatusCode);
        await Eventually.True(
            async () => (await Json(await app.GetAsync("/v1/users/priv-consent-probe/recommendations?count=5")))["items"]!.AsArray().Count > 0,
            "a non-personalized list has items");

        var withheld = await app.PutAsJsonAsync($"/v1/users/{user}/consent", new { personalization = false });
        Assert.Equal(HttpStatusCode.OK, withheld.StatusCode);
        var view = await Json(withheld);
        Assert.False(view["personalization"]!.GetValue<bool>());
        Assert.Equal(3, view["profileEventsRemoved"]!.GetValue<long>());
        Assert.Equal(3, view["logEventsRemoved"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync($"/v1/users/{user}")).StatusCode);

        var list = await Json(await app.GetAsync($"/v1/users/{user}/recommendations?count=5"));
        Assert.True(list["nonPersonalized"]!.GetValue<bool>());
        Assert.Equal("global-popularity", list["strategy"]!.GetValue<string>());
        Assert.Null(list["cohortId"]);

        // A click on what was served still counts for outcomes (the response is kept), but builds no profile and is not logged.
        var recommendationId = list["recommendationId"]!.GetValue<string>();
        var served = list["items"]!.AsArray();
        if (served.Count > 0)
        {
            var clicked = served[0]!["itemId"]!.GetValue<string>();
            var click = new { events = new[] { new { eventId = "c4", userId = user, itemId = clicked, type = "click", timestamp = now, recommendationId, position = 0 } } };
            Assert.Equal(HttpStatusCode.Accepted, (await app.PostAsJsonAsync("/v1/events", click)).StatusCode);
            await Eventually.True(
                async () => (await Json(await admin.GetAsync($"/v1/users/{user}/export")))["servedRecommendations"]!.AsArray().Any(r => r!["items"]![0]!["clicked"]!.GetValue<bool>()),
                "the click is attributed to the served list");
        }

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostAsJsonAsync("/v1/events", WireEvents.Body([Event("c5", "i5")]))).StatusCode);
        var export = await Json(await admin.GetAsync($"/v1/users/{user}/export"));
        Assert.False(export["personalization"]!.GetValue<bool>());
        Assert.Null(export["profile"]);
        Assert.Empty(export["loggedEvents"]!.AsArray());
        var log = await factory.Services.GetRequiredService<IInteractionLog>().ReadAsync(DateTimeOffset.MinValue, CancellationToken.None);
        Assert.DoesNotContain(log.Events, e => e.UserId == user);

        // Asking again changes nothing.
        var repeat = await Json(await app.PutAsJsonAsync($"/v1/users/{user}/consent", new { personalization = false }));
        Assert.Equal(0, repeat["logEventsRemoved"]!.GetValue<long>());

        var restored = await Json(await app.PutAsJsonAsync($"/v1/users/{user}/consent", new { personalization = true }));
        Assert.True(restored["personalization"]!.GetValue<bool>());
        Assert.Equal(0, restored["logEventsRemoved"]!.GetValue<long>()); // the embedded log stored nothing meanwhile
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostAsJsonAsync("/v1/events", WireEvents.Body([Event("c6", "i6")]))).StatusCode);
        await Eventually.True(
            async () => (await app.GetAsync($"/v1/users/{user}")) is { StatusCode: HttpStatusCode.OK } r && (await Json(r))["counts"]!["view"]!.GetValue<long>() == 1,
            "after consent only new events build the profile");
        Assert.False((await Json(await app.GetAsync($"/v1/users/{user}/recommendations?count=5")))["nonPersonalized"]!.GetValue<bool>());
        var logged = await factory.Services.GetRequiredService<IInteractionLog>().ReadAsync(DateTimeOffset.MinValue, CancellationToken.None);
        Assert.Equal(["i6"], logged.Events.Where(e => e.UserId == user).Select(e => e.ItemId));
    }

    [Fact]
    public async Task Privacy_endpoints_answer_bad_input_with_a_problem_naming_the_field()
    {
        var app = factory.App();
        var admin = factory.Admin();
        var longId = new string('u', 200);
        await Problems.AssertNames(await admin.DeleteAsync($"/v1/users/{longId}"), HttpStatusCode.BadRequest, "userId");
        await Problems.AssertNames(await admin.GetAsync($"/v1/users/{longId}/export"), HttpStatusCode.BadRequest, "userId");
        await Problems.AssertNames(await app.PutAsJsonAsync($"/v1/users/{longId}/consent", new { personalization = false }), HttpStatusCode.BadRequest, "userId");
        await Problems.AssertNames(await app.PutAsJsonAsync("/v1/users/priv-bad/consent", new { }), HttpStatusCode.BadRequest, "personalization");
        await Problems.AssertNames(await app.PutAsJsonAsync("/v1/users/priv-bad/consent", new { personalization = "no" }), HttpStatusCode.BadRequest, "personalization");
        await Problems.AssertNames(await app.PutAsync("/v1/users/priv-bad/consent", new StringContent("{\"personalization\": false}")), HttpStatusCode.UnsupportedMediaType, "Content-Type");
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.Analyst().DeleteAsync("/v1/users/priv-bad")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync("/v1/users/priv-bad/export")).StatusCode);
    }
}
