using Cohortly.Contracts;
using Cohortly.Grains.Services;

namespace Cohortly.Grains.Tests;

public sealed class ExplorationEvidenceTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static InteractionEvent Event(string id, string user, string item, InteractionType type) =>
        new(id, user, item, type, null, DateTimeOffset.UtcNow, "mobile", DateTimeOffset.UtcNow);

    [Fact]
    public async Task Served_items_count_as_impressions_and_a_click_on_one_as_its_reward()
    {
        var events = new List<InteractionEvent>();
        for (var i = 0; i < 4; i++)
        {
            events.Add(Event($"ee-{i}-a", $"ee-fan{i}", "ee-hit", InteractionType.Purchase));
            events.Add(Event($"ee-{i}-b", $"ee-fan{i}", "ee-second", InteractionType.View));
        }

        await fixture.Publish(events);
        var user = fixture.Client.GetGrain<IUserGrain>("ee-erin");
        await Eventually.True(async () => (await user.Recommend(new RecommendationRequest(5))).Items.Any(i => i.ItemId == "ee-hit"), "global popularity reaches the silo cache");
        var served = await user.Recommend(new RecommendationRequest(5));
        var clicked = served.Items[0].ItemId;

        await fixture.Publish([Event("ee-click", "ee-erin", clicked, InteractionType.Click)]);
        var cache = fixture.SiloService<CohortSnapshotCache>();
        await Eventually.True(
            () => Task.FromResult(cache.ArmsOf(CohortSnapshotCache.Global).TryGetValue(clicked, out var arm) && arm.Rewards >= 1),
            "the click reaches the global cohort's arms");

        var arms = (await fixture.Client.GetGrain<ICohortGrain>(CohortSnapshotCache.Global).GetSnapshot()).Arms;
        var clickedArm = Assert.Single(arms, a => a.ItemId == clicked);
        Assert.True(clickedArm.Impressions >= 2, "both responses showed the item");
        Assert.Equal(1, clickedArm.Rewards);

        // The same click again (a new event) is not a second reward for the same impression. A later
        // response's impressions are recorded after that click, so once they show, a wrong reward would too.
        await fixture.Publish([Event("ee-click-2", "ee-erin", clicked, InteractionType.Click)]);
        await Eventually.True(async () => (await user.GetProfile())?.Counts["click"] == 2, "the second click is applied");
        var shownBefore = cache.ArmsOf(CohortSnapshotCache.Global).Values.Sum(a => a.Impressions);
        var third = await user.Recommend(new RecommendationRequest(5));
        Assert.NotEmpty(third.Items);
        await Eventually.True(
            () => Task.FromResult(cache.ArmsOf(CohortSnapshotCache.Global).Values.Sum(a => a.Impressions) > shownBefore),
            "the third response's impressions are flushed");
        Assert.Equal(1, cache.ArmsOf(CohortSnapshotCache.Global)[clicked].Rewards);
    }
}
