using Cohortly.Contracts;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Grains.Tests;

public sealed class UserGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static InteractionEvent Event(string id, string user, string item, InteractionType type, double? value = null, DateTimeOffset? at = null) =>
        new(id, user, item, type, value, at ?? DateTimeOffset.UtcNow, "mobile", DateTimeOffset.UtcNow);

    [Fact]
    public async Task Events_on_the_stream_build_the_live_profile()
    {
        await fixture.Publish(
        [
            Event("p1", "alice", "i1", InteractionType.View),
            Event("p2", "alice", "i1", InteractionType.AddToCart),
            Event("p3", "alice", "i1", InteractionType.Purchase, 42.5),
        ]);
        var user = fixture.Client.GetGrain<IUserGrain>("alice");

        await Eventually.True(async () => (await user.GetProfile())?.Counts["purchase"] == 1, "the purchase is applied");
        var profile = (await user.GetProfile())!;
        Assert.Equal(42.5, profile.Monetary);
        Assert.Equal(1, profile.Counts["view"]);
        Assert.Equal(1, profile.Counts["add_to_cart"]);
        Assert.Equal("i1", profile.RecentItems[0].ItemId);
        Assert.Equal("purchase", profile.RecentItems[0].Type);
        Assert.Equal(3, profile.Devices["mobile"]);
    }

    [Fact]
    public async Task Replayed_event_ids_are_ignored()
    {
        var e = Event("dup-1", "bob", "i9", InteractionType.Purchase, 10);
        await fixture.Publish([e]);
        await fixture.Publish([e, Event("dup-2", "bob", "i9", InteractionType.View)]);
        var user = fixture.Client.GetGrain<IUserGrain>("bob");

        await Eventually.True(async () => (await user.GetProfile())?.Counts["view"] == 1, "the second batch is applied");
        var profile = (await user.GetProfile())!;
        Assert.Equal(1, profile.Counts["purchase"]);
        Assert.Equal(10, profile.Monetary);
        Assert.Equal(1, profile.DuplicatesIgnored);
    }

    [Fact]
    public async Task Profile_is_written_behind_and_survives_deactivation()
    {
        await fixture.Publish([Event("c1", "carol", "i3", InteractionType.Purchase, 99)]);
        var user = fixture.Client.GetGrain<IUserGrain>("carol");
        await Eventually.True(async () => (await user.GetProfile())?.Monetary == 99, "the purchase is applied");

        await fixture.Cluster.DeactivateAsync(user);
        await fixture.Cluster.WaitForDeactivationAsync(user);

        Assert.Equal(99, (await user.GetProfile())!.Monetary);
    }

    [Fact]
    public async Task A_click_on_a_response_served_before_deactivation_is_attributed_after_reactivation()
    {
        await fixture.Publish([Event("att-0", "att-fan", "att-hot", InteractionType.Purchase, 5), Event("att-1", "att-user", "att-seen", InteractionType.View)]);
        var user = fixture.Client.GetGrain<IUserGrain>("att-user");
        await Eventually.True(async () => (await user.GetProfile())?.Counts["view"] == 1, "the view is applied");
        await Eventually.True(async () => (await user.Recommend(new RecommendationRequest(5))).Items.Count > 0, "popularity reaches the silo cache");
        var response = await user.Recommend(new RecommendationRequest(5));
        var clicked = response.Items[0].ItemId;

        await fixture.Cluster.DeactivateAsync(user);
        await fixture.Cluster.WaitForDeactivationAsync(user);
        await fixture.Publish([Event("att-2", "att-user", clicked, InteractionType.Click) with { RecommendationId = Guid.ParseExact(response.RecommendationId, "N"), Position = 0 }]);

        await Eventually.True(async () => (await user.GetProfile())?.Counts["click"] == 1, "the click is applied by a new activation");
        var key = new OutcomeKey(response.CohortId ?? -1, response.ModelVersion ?? 0, "", "", ServedStrategy.Popularity);
        await Eventually.True(() => Task.FromResult(fixture.Outcomes.Total(key).ClickedExposures >= 1), "the click is attributed to the response served before deactivation");
    }

    [Fact]
    public async Task Unknown_user_has_no_profile()
    {
        Assert.Null(await fixture.Client.GetGrain<IUserGrain>("nobody-" + Guid.NewGuid()).GetProfile());
    }

    [Fact]
    public async Task User_without_cohort_gets_global_popularity_without_items_already_bought()
    {
        var events = new List<InteractionEvent>();
        for (var i = 0; i < 5; i++)
        {
            events.Add(Event($"g-{i}-a", $"fan{i}", "hit", InteractionType.Purchase, 5));
            events.Add(Event($"g-{i}-b", $"fan{i}", "second", InteractionType.View));
        }

        events.Add(Event("g-x", "dave", "hit", InteractionType.Purchase, 5));
        await fixture.Publish(events);
        var dave = fixture.Client.GetGrain<IUserGrain>("dave");
        await Eventually.True(async () => (await dave.GetProfile())?.Counts["purchase"] == 1, "dave's purchase is applied");

        await Eventually.True(async () => (await dave.Recommend(new RecommendationRequest(5))).Items.Any(i => i.ItemId == "second"), "global popularity reaches the silo cache");
        var response = await dave.Recommend(new RecommendationRequest(5));
        Assert.Equal("global-popularity", response.Strategy);
        Assert.Null(response.CohortId);
        Assert.DoesNotContain(response.Items, i => i.ItemId == "hit");
        Assert.False(string.IsNullOrEmpty(response.RecommendationId));
        Assert.All(response.Items, i => Assert.Equal("popular with all shoppers", i.Reason));
    }
}
