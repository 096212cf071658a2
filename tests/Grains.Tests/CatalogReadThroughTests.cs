using System.Diagnostics;
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
    /// <summary>Cohortly:CatalogReadThroughInterval here: long enough that a bound in reads per interval is far below one per id.</summary>
    private static readonly TimeSpan ReadInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>What the catalog grain is asked by the silo's copy: version reads and snapshot loads.</summary>
    private readonly CountedCalls _reads = new(context => context.Grain is ICatalogGrain && context.MethodName is nameof(ICatalogGrain.GetVersion) or nameof(ICatalogGrain.GetSnapshot));
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await FastLoopCluster.Start(
            FastLoopCluster.Configuration(new Dictionary<string, string?>
            {
                ["Cohortly:CachePoll"] = "00:10:00",
                ["Cohortly:CatalogReadThroughInterval"] = ReadInterval.ToString(),
            }),
            after: s => s.AddSingleton<IIncomingGrainCallFilter>(_reads));

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

    [Fact]
    public async Task A_flood_of_random_item_ids_costs_the_catalog_grain_reads_bounded_by_time_not_by_ids_and_a_real_item_still_counts()
    {
        var now = DateTimeOffset.UtcNow;
        await Catalog.Upsert([new ItemRecord("jazz-2", "A Love Supreme", ["jazz"], [], 9.0, true, now)]);
        var random = new Random(16);
        const int Users = 40, PerUser = 50;
        var events = new List<InteractionEvent>(Users * PerUser);
        for (var u = 0; u < Users; u++)
        {
            for (var i = 0; i < PerUser; i++)
            {
                // Every event its own never-upserted id (what a buggy or hostile client sends), but one real item per user.
                var item = i == PerUser / 2 ? "jazz-2" : $"junk-{random.NextInt64():x}";
                events.Add(new InteractionEvent($"flood-{u}-{i}", $"flooder-{u}", item, InteractionType.View, null, now.AddSeconds(i - PerUser), "web", now));
            }
        }

        var before = _reads.Count;
        var clock = Stopwatch.StartNew();
        await FastLoopCluster.Publish(_cluster.Client, events);
        var users = Enumerable.Range(0, Users).Select(u => _cluster.Client.GetGrain<IUserGrain>($"flooder-{u}")).ToArray();
        await Eventually.True(async () =>
        {
            foreach (var user in users)
            {
                if ((await user.GetProfile())?.Counts["view"] != PerUser)
                {
                    return false;
                }
            }

            return true;
        }, "every event is applied");
        var elapsed = clock.Elapsed;
        var reads = _reads.Count - before;

        // One version read per interval at most (plus one snapshot load: the upsert moved the version once); one per
        // id — what the read-through cost before — would be 1,960 here.
        var bound = (long)(elapsed / ReadInterval) + 3;
        Assert.True(reads <= bound, $"{reads} catalog reads for {Users * PerUser} unknown ids in {elapsed.TotalSeconds:0.0} s (bound {bound})");
        Assert.True(reads < Users * PerUser / 10, $"{reads} catalog reads for {Users * PerUser} unknown ids");
        foreach (var user in users)
        {
            var profile = (await user.GetProfile())!;
            Assert.True(profile.CategoryAffinity.TryGetValue("jazz", out var affinity) && affinity > 0, "the real item's category is in every flooder's profile");
        }
    }

    private Task Publish(string userId, string itemId, int views, DateTimeOffset now) =>
        FastLoopCluster.Publish(_cluster.Client, Enumerable.Range(0, views).Select(i =>
            new InteractionEvent($"{userId}-{itemId}-{i}", userId, itemId, InteractionType.View, null, now.AddMinutes(i - views), "web", now)));
}
