using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>
/// A silo whose catalog poll never runs during a test (10 min): whatever the user grains learn about items they learn
/// by reading through the silo's catalog copy on a miss. Training counts every event with its item's categories and
/// price (it reads the whole catalog), so an event applied before the poll loaded the item made live features differ
/// from training's (the ML-100K replay's differing cohorts, benchmarks.md "Parity restored").
/// </summary>
public sealed class CatalogReadThroughTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await FastLoopCluster.Start(new Dictionary<string, string?> { ["Cohortly:CachePoll"] = "00:10:00" });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private CatalogCache Cache => _cluster.Silos[0].ServiceProvider.GetRequiredService<CatalogCache>();

    private ICatalogGrain Catalog => _cluster.Client.GetGrain<ICatalogGrain>(ICatalogGrain.Key);

    [Fact]
    public async Task An_event_on_an_item_upserted_before_it_counts_the_items_category_though_the_silo_poll_has_not_loaded_it()
    {
        var now = DateTimeOffset.UtcNow;
        await Catalog.Upsert([new ItemRecord("jazz-1", "Kind of Blue", ["jazz"], [], 12.5, true, now)]);
        Assert.Null(Cache.Find("jazz-1")); // the poll has not run: only a read-through can know the item

        await Publish("reader", "jazz-1", 2, now);
        var user = _cluster.Client.GetGrain<IUserGrain>("reader");
        await Eventually.True(async () => (await user.GetProfile())?.Counts["view"] == 2, "both views are applied");

        var profile = (await user.GetProfile())!;
        Assert.True(profile.CategoryAffinity.TryGetValue("jazz", out var affinity) && affinity > 0, "the item's category is in the profile");
        Assert.NotNull(Cache.Find("jazz-1"));
    }

    [Fact]
    public async Task An_id_the_catalog_never_had_is_applied_without_categories_and_remembered_as_absent_until_a_newer_catalog_version_loads()
    {
        var now = DateTimeOffset.UtcNow;
        var known = await Catalog.Upsert([new ItemRecord("rock-1", null, ["rock"], [], null, true, now)]);

        await Publish("wanderer", "ghost-1", 1, now);
        var user = _cluster.Client.GetGrain<IUserGrain>("wanderer");
        await Eventually.True(async () => (await user.GetProfile())?.Counts["view"] == 1, "the view is applied");

        Assert.Empty((await user.GetProfile())!.CategoryAffinity);
        Assert.True(Cache.IsSettled("ghost-1"), "absent in the version the miss read");
        Assert.Equal(known, Cache.Version);

        var newer = await Catalog.Upsert([new ItemRecord("ghost-1", null, ["folk"], [], null, true, now)]);
        await Cache.RefreshAsync(_cluster.Client, CancellationToken.None);

        Assert.Equal(newer, Cache.Version);
        Assert.Equal(["folk"], Cache.Find("ghost-1")!.Categories);
    }

    private Task Publish(string userId, string itemId, int views, DateTimeOffset now) =>
        FastLoopCluster.Publish(_cluster.Client, Enumerable.Range(0, views).Select(i =>
            new InteractionEvent($"{userId}-{itemId}-{i}", userId, itemId, InteractionType.View, null, now.AddMinutes(i - views), "web", now)));
}
