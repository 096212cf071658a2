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

    private static async Task<UserState?> Stored(IGrainStorage storage, GrainId id)
    {
        var state = new GrainState<UserState> { State = new UserState() };
        await storage.ReadStateAsync("user", id, state);
        return state.RecordExists ? state.State : null;
    }
}
