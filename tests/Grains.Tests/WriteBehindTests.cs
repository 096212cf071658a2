using Cohortly.Contracts;
using Cohortly.Modeling.Users;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Cohortly.Grains.Tests;

public sealed class WriteBehindTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static InteractionEvent Event(string id, string user, string item, InteractionType type) =>
        new(id, user, item, type, null, DateTimeOffset.UtcNow, "mobile", DateTimeOffset.UtcNow);

    [Fact]
    public async Task Write_behind_persists_applied_events_to_storage_after_its_interval()
    {
        await fixture.Publish([Event("wb-1", "wb-user", "i1", InteractionType.View), Event("wb-2", "wb-user", "i2", InteractionType.Click)]);
        var user = fixture.Client.GetGrain<IUserGrain>("wb-user");
        await Eventually.True(async () => (await user.GetProfile())?.Counts["click"] == 1, "both events are applied");

        // The write-behind timer (1 s in tests) must complete its write: disposing the timer before
        // the write cancelled it, so nothing reached storage and the write was retried forever.
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StreamNames.Storage);
        await Eventually.True(async () => (await Stored(storage, user.GetGrainId()))?.Profile.TotalEvents == 2, "the profile with both events is in storage");

        await fixture.Publish([Event("wb-3", "wb-user", "i3", InteractionType.Purchase)]);
        await Eventually.True(async () => (await Stored(storage, user.GetGrainId()))?.Profile.TotalEvents == 3, "a later event is written behind as well");

        var stored = (await Stored(storage, user.GetGrainId()))!;
        Assert.Equal(1, stored.Profile.Count(InteractionType.Purchase));
        Assert.Equal(["i3"], stored.Profile.PurchasedItems);
    }

    [Fact]
    public async Task Served_recommendations_ride_along_with_the_next_write_behind()
    {
        await fixture.Publish([Event("wbr-0", "wbr-other", "wbr-hot", InteractionType.Purchase), Event("wbr-1", "wbr-user", "i1", InteractionType.View)]);
        var user = fixture.Client.GetGrain<IUserGrain>("wbr-user");
        await Eventually.True(async () => (await user.GetProfile())?.Counts["view"] == 1, "the first event is applied");
        await Eventually.True(async () => (await user.Recommend(new RecommendationRequest(5))).Items.Count > 0, "popularity reaches the silo cache");
        var first = await user.Recommend(new RecommendationRequest(5));
        var second = await user.Recommend(new RecommendationRequest(5));

        await fixture.Publish([Event("wbr-2", "wbr-user", "i2", InteractionType.Click)]);
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StreamNames.Storage);
        await Eventually.True(async () => (await Stored(storage, user.GetGrainId()))?.Profile.TotalEvents == 2, "the click is written behind");

        var served = (await Stored(storage, user.GetGrainId()))!.Recommendations;
        Assert.Equal(first.RecommendationId, served[^2].Id.ToString("N"));
        Assert.Equal(second.RecommendationId, served[^1].Id.ToString("N"));
        Assert.Equal(second.Items.Select(i => i.ItemId), served[^1].Items);
    }

    [Fact]
    public async Task An_activation_whose_save_meets_a_newer_stored_version_steps_aside_for_it()
    {
        await fixture.Publish([Event("wbs-1", "wbs-user", "i1", InteractionType.View)]);
        var user = fixture.Client.GetGrain<IUserGrain>("wbs-user");
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StreamNames.Storage);
        await Eventually.True(async () => (await Stored(storage, user.GetGrainId()))?.Profile.TotalEvents == 1, "the first event is in storage");

        // Another activation of the same user (a duplicate while silos join or leave) saves a newer version.
        var other = new GrainState<UserState> { State = new UserState() };
        await storage.ReadStateAsync("user", user.GetGrainId(), other);
        other.State.SetAttributes(new Dictionary<string, string> { ["written-by"] = "the other activation" });
        await storage.WriteStateAsync("user", user.GetGrainId(), other);

        // This activation applies an event; its write-behind meets the newer version and fails.
        await fixture.Publish([Event("wbs-2", "wbs-user", "i2", InteractionType.Click)]);

        // It must not keep serving (or retrying to save) a state that is no longer the user's: it deactivates, and the
        // next call reads the stored version. Orleans does this for us: an InconsistentStateException that escapes a
        // grain call or timer tick deactivates the activation; this test pins that the write-behind lets it escape.
        // (Memory streams do not redeliver; in cluster mode the log brings the click to the survivor, which the scale
        // drill checks.)
        var profile = await Eventually.Value(
            () => user.GetProfile(),
            p => p?.Attributes.GetValueOrDefault("written-by") == "the other activation",
            "a fresh activation serves the stored version",
            TimeSpan.FromSeconds(30));
        Assert.Equal(1, profile!.Counts.GetValueOrDefault("view"));
        var stored = (await Stored(storage, user.GetGrainId()))!;
        Assert.Equal("the other activation", stored.Attributes!["written-by"]);
    }

    private static async Task<UserState?> Stored(IGrainStorage storage, GrainId id)
    {
        var state = new GrainState<UserState> { State = new UserState() };
        await storage.ReadStateAsync("user", id, state);
        return state.RecordExists ? state.State : null;
    }
}
