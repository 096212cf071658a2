using Cohortly.Contracts;
using Cohortly.Grains.Training;

namespace Cohortly.Grains.Tests;

/// <summary>The full recommendation pipeline inside user grains, on the silo's model cache.</summary>
[Collection(TrainingCollection.Name)]
public sealed class ServingTests(TrainingFixture fixture)
{
    private static InteractionEvent Event(string id, string user, string item, InteractionType type) =>
        new(id, user, item, type, null, DateTimeOffset.UtcNow, "mobile", DateTimeOffset.UtcNow);

    private async Task<long> ServedVersion()
    {
        var registry = await fixture.EnsureVersions(1);
        var cache = fixture.Service<ModelCache>();
        await Eventually.True(() => Task.FromResult(cache.Version == registry.ActiveVersion), "the cache serves the active version");
        return registry.ActiveVersion;
    }

    [Fact]
    public async Task Known_user_is_served_by_the_trained_model_with_reasons_and_explanations()
    {
        var version = await ServedVersion();
        var user = fixture.World.Users[3].Id;

        var response = await fixture.Client.GetGrain<IUserGrain>(user).Recommend(new RecommendationRequest(10, Explain: true, Explore: false));

        Assert.Equal(version, response.ModelVersion);
        Assert.False(response.Fallback);
        Assert.NotNull(response.CohortId);
        Assert.Contains(response.Strategy, new[] { "cohort-model", "global-model" });
        Assert.Equal(10, response.Items.Count);
        Assert.Equal(10, response.Items.Select(i => i.ItemId).Distinct().Count());
        Assert.All(response.Items, i => Assert.False(string.IsNullOrWhiteSpace(i.Reason)));
        Assert.All(response.Items, i => Assert.NotEmpty(i.Contributions!));
        Assert.All(response.Items, i => Assert.False(i.Explored));
    }

    [Fact]
    public async Task An_event_changes_the_very_next_recommendation_without_retraining()
    {
        var version = await ServedVersion();
        var userId = "fresh-" + Guid.NewGuid().ToString("N")[..8];
        var items = fixture.World.Items;
        var user = fixture.Client.GetGrain<IUserGrain>(userId);
        await fixture.Publish([Event("fr-1", userId, items[0].Id, InteractionType.View), Event("fr-2", userId, items[1].Id, InteractionType.View)]);
        await Eventually.True(async () => (await user.GetProfile())?.Counts["view"] == 2, "the first views are applied");
        var before = await user.Recommend(new RecommendationRequest(10, Explore: false));
        Assert.Equal(version, before.ModelVersion);

        // Buying the top item and viewing items of another category must show in the next call.
        var top = before.Items[0].ItemId;
        var other = items.First(i => i.Category != items[0].Category && i.Category != items[1].Category);
        var sameCategory = items.Where(i => i.Category == other.Category).Take(3).ToList();
        await fixture.Publish([
            Event("fr-3", userId, top, InteractionType.Purchase),
            .. sameCategory.Select((i, n) => Event($"fr-v{n}", userId, i.Id, InteractionType.View)),
        ]);
        await Eventually.True(async () => (await user.GetProfile())?.Counts["purchase"] == 1 && (await user.GetProfile())!.Counts["view"] == 2 + sameCategory.Count, "the new events are applied");
        var after = await user.Recommend(new RecommendationRequest(10, Explore: false));

        Assert.Equal(version, after.ModelVersion);
        Assert.DoesNotContain(after.Items, i => i.ItemId == top);
        Assert.NotEqual(before.Items.Select(i => i.ItemId).ToList(), after.Items.Select(i => i.ItemId).ToList());
    }

    [Fact]
    public async Task An_item_withdrawn_from_the_catalog_leaves_the_next_recommendations_and_returns_when_restored()
    {
        await ServedVersion();
        var user = fixture.Client.GetGrain<IUserGrain>(fixture.World.Users[5].Id);
        var request = new RecommendationRequest(10, Explore: false);
        var top = (await user.Recommend(request)).Items[0].ItemId;
        var item = fixture.World.Items.Single(i => i.Id == top);
        var catalog = fixture.Client.GetGrain<ICatalogGrain>(ICatalogGrain.Key);
        var cache = fixture.Service<Cohortly.Grains.Services.CatalogCache>();

        var withdrawn = await catalog.Upsert([new ItemRecord(item.Id, item.Title, [item.Category], [.. item.Tags], item.Price, false, DateTimeOffset.UtcNow)]);
        try
        {
            await Eventually.True(() => Task.FromResult(cache.Version >= withdrawn), "the silo's catalog cache loads the withdrawal");
            Assert.DoesNotContain((await user.Recommend(request)).Items, i => i.ItemId == top);
        }
        finally
        {
            var restored = await catalog.Upsert([new ItemRecord(item.Id, item.Title, [item.Category], [.. item.Tags], item.Price, true, DateTimeOffset.UtcNow)]);
            await Eventually.True(() => Task.FromResult(cache.Version >= restored), "the silo's catalog cache loads the restoration");
        }

        Assert.Equal(top, (await user.Recommend(request)).Items[0].ItemId);
    }

    [Fact]
    public async Task A_cohort_the_model_does_not_know_is_served_by_the_global_model_and_says_so()
    {
        var version = await ServedVersion();
        var segmentation = fixture.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var current = (await segmentation.GetCurrent())!;
        // A newer segmentation with one extra cohort the trained model has never seen: its centroid sits on every
        // user (scaled zero vectors are impossible to beat for a user at the feature means), so a live user lands in it.
        var unknown = current.CohortIds.Max() + 100;
        await segmentation.Publish(current with
        {
            Version = current.Version + 1,
            CohortIds = [unknown],
            Labels = ["a cohort born after training"],
            Centroids = [new float[current.FeatureNames.Count]],
            SampleCounts = [1],
        });
        try
        {
            var userId = "fallback-" + Guid.NewGuid().ToString("N")[..8];
            var user = fixture.Client.GetGrain<IUserGrain>(userId);
            await Eventually.True(() => Task.FromResult(fixture.Service<Services.SegmentationCache>().Current?.Version == current.Version + 1), "the silo sees the new segmentation");
            await fixture.Publish([Event("fb-1", userId, fixture.World.Items[5].Id, InteractionType.View)]);
            await Eventually.True(async () => (await user.GetProfile())?.Cohort?.CohortId == unknown, "the user joins the new cohort");

            var response = await user.Recommend(new RecommendationRequest(5, Explore: false));

            Assert.Equal(unknown, response.CohortId);
            Assert.True(response.Fallback);
            Assert.Equal("global-model", response.Strategy);
            Assert.Contains(unknown.ToString(System.Globalization.CultureInfo.InvariantCulture), response.FallbackReason, StringComparison.Ordinal);
            Assert.Equal(version, response.ModelVersion);
            Assert.Equal(5, response.Items.Count);
        }
        finally
        {
            // Later tests expect the model's own segmentation to be current again.
            var status = await fixture.RunToEnd();
            Assert.Equal(TrainingState.Succeeded, status.State);
        }
    }

    [Fact]
    public async Task Hot_swapping_models_under_concurrent_requests_fails_none_of_them()
    {
        var trained = TrainingFixture.Trained(await fixture.EnsureVersions(2));
        var (newest, older) = (trained[0].Version, trained[1].Version);
        var cache = fixture.Service<ModelCache>();
        using var stop = new CancellationTokenSource();
        var users = fixture.World.Users.Take(16).Select(u => fixture.Client.GetGrain<IUserGrain>(u.Id)).ToList();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<long, int>();
        var served = 0;
        var workers = users.Select(u => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var r = await u.Recommend(new RecommendationRequest(10));
                Assert.NotEmpty(r.Items);
                Assert.NotNull(r.ModelVersion);
                seen.AddOrUpdate(r.ModelVersion!.Value, 1, (_, n) => n + 1);
                Interlocked.Increment(ref served);
            }
        })).ToList();

        try
        {
            foreach (var target in new[] { older, newest, older, newest })
            {
                await fixture.Training.Activate(target, force: false);
                await Eventually.True(() => Task.FromResult(cache.Version == target), $"the cache swaps to version {target}");
                var mark = Volatile.Read(ref served);
                await Eventually.True(() => Task.FromResult(Volatile.Read(ref served) > mark + 20), "requests keep flowing on the new version");
            }
        }
        finally
        {
            stop.Cancel();
            await fixture.Training.Activate(newest, force: false);
        }

        await Task.WhenAll(workers); // any failed request fails here
        Assert.True(seen.ContainsKey(newest) && seen.ContainsKey(older), $"both versions served: {string.Join(", ", seen)}");
    }

    [Fact]
    public async Task A_new_user_with_attributes_gets_a_provisional_cohort_and_the_log_keeps_the_attributes()
    {
        await ServedVersion();
        var userId = "attr-" + Guid.NewGuid().ToString("N")[..8];
        var user = fixture.Client.GetGrain<IUserGrain>(userId);

        var view = await user.SetAttributes(new Dictionary<string, string> { ["country"] = "NL", ["signupChannel"] = "ads" });
        // Without request context the prediction rests on the attributes alone, as it did when they were set.
        var response = await user.Recommend(new RecommendationRequest(5, Explore: false));

        Assert.NotNull(view.ProvisionalCohortId);
        Assert.Null(view.CohortId);
        Assert.True(response.ProvisionalCohort);
        Assert.Equal(view.ProvisionalCohortId, response.CohortId);
        Assert.Equal(5, response.Items.Count);
        var logged = await fixture.Service<IInteractionLog>().ReadAsync(DateTimeOffset.MinValue, CancellationToken.None);
        var attributes = Assert.Single(logged.Attributes, a => a.UserId == userId);
        Assert.Equal("ads", attributes.Attributes["signupChannel"]);
    }

    [Fact]
    public async Task Similar_items_come_from_the_active_model_and_unknown_items_get_none()
    {
        var version = await ServedVersion();
        var similarity = fixture.Client.GetGrain<IItemSimilarityGrain>(0);
        var item = fixture.World.Items[0].Id;

        var similar = await similarity.Similar(item, 5);

        Assert.NotNull(similar);
        Assert.Equal(version, similar!.ModelVersion);
        Assert.Equal(5, similar.Items.Count);
        Assert.DoesNotContain(similar.Items, i => i.ItemId == item);
        Assert.Null(await similarity.Similar("no-such-item", 5));
    }
}
