using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Grains.Tests;

/// <summary>Planted behaviour types flow through the stream, profiles, silo samples and K-Means.</summary>
public sealed class SegmentationFixture : IAsyncLifetime
{
    public ClusterFixture Cluster { get; } = new();

    public SyntheticWorld World { get; } = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 250, Items = 500, UserPrefix = "seg-" }, seed: 5);

    public SegmentationVersionInfo First { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Cluster.InitializeAsync();
        await Cluster.LoadCatalog(World);
        var history = World.History(DateTimeOffset.UtcNow, days: 21, new Random(3));
        foreach (var chunk in history.Chunk(2000))
        {
            await Cluster.Publish(chunk.Select(Events.Of));
        }

        var expected = history.GroupBy(e => e.UserId).ToDictionary(g => g.Key, g => (long)g.Count());
        await Eventually.True(async () =>
        {
            foreach (var (user, count) in expected)
            {
                if ((await Cluster.Client.GetGrain<IUserGrain>(user).GetProfile())?.Counts.Values.Sum() != count)
                {
                    return false;
                }
            }

            return true;
        }, "the whole history is applied");

        // The sample must hold the complete histories before the first clustering.
        await Cluster.SiloService<SiloBackgroundWork>().PushSample(CancellationToken.None);
        First = await Cluster.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).Recompute();

        // Silos learn new versions by polling; users re-assign against their silo's copy.
        var cache = Cluster.SiloService<SegmentationCache>();
        await Eventually.True(() => Task.FromResult(cache.Current?.Version >= First.Version), "the silo's segmentation cache has the first version");
    }

    public Task DisposeAsync() => Cluster.DisposeAsync();

}

public sealed class SegmentationTests(SegmentationFixture fixture) : IClassFixture<SegmentationFixture>
{
    private IClusterClient Client => fixture.Cluster.Client;

    [Fact]
    public async Task Users_are_assigned_to_cohorts_that_recover_the_planted_behaviour_types()
    {
        var planted = new List<int>();
        var assigned = new List<int>();
        foreach (var user in fixture.World.Users)
        {
            var profile = await Client.GetGrain<IUserGrain>(user.Id).GetProfile();
            Assert.NotNull(profile?.Cohort);
            planted.Add((int)user.Type);
            assigned.Add(profile.Cohort.CohortId);
        }

        var ari = ClusterAgreement.AdjustedRandIndex(planted.ToArray(), assigned.ToArray());
        Assert.True(ari >= 0.7, $"adjusted Rand index {ari:F3}");
        Assert.Equal(fixture.World.Users.Count, fixture.First.SampleSize);
        Assert.Equal(fixture.First.Labels.Count, fixture.First.Labels.Distinct().Count());
    }

    [Fact]
    public async Task Cohort_grains_receive_labels_centroids_and_member_counts()
    {
        // Reading a profile assigns a user that has not seen an event since the segmentation.
        foreach (var user in fixture.World.Users)
        {
            await Client.GetGrain<IUserGrain>(user.Id).GetProfile();
        }

        var current = (await Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetCurrent())!;
        await Eventually.True(async () =>
        {
            var sizes = await Task.WhenAll(current.CohortIds.Select(id => Client.GetGrain<ICohortGrain>(id).GetSnapshot()));
            return sizes.Sum(s => s.MemberCount) >= fixture.World.Users.Count;
        }, "member counts add up to the user count");

        var snapshot = await Client.GetGrain<ICohortGrain>(current.CohortIds[0]).GetSnapshot();
        Assert.Equal(current.Labels[0], snapshot.Label);
        Assert.Equal(current.FeatureNames.Count, snapshot.Centroid.Count);
        Assert.NotEmpty(snapshot.TopItems);
    }

    [Fact]
    public async Task Recommendations_come_from_the_users_cohort_and_skip_bought_items()
    {
        var user = fixture.World.Users.First(u => u.Type == BehaviorType.FrequentHighSpender);
        var grain = Client.GetGrain<IUserGrain>(user.Id);
        var profile = (await grain.GetProfile())!;
        await Eventually.True(async () => (await grain.Recommend(new RecommendationRequest(10))).Strategy == "cohort-popularity", "cohort snapshots reach the silo cache");

        var response = await grain.Recommend(new RecommendationRequest(10));
        Assert.Equal(profile.Cohort!.CohortId, response.CohortId);
        Assert.False(string.IsNullOrEmpty(response.CohortLabel));
        Assert.Equal(10, response.Items.Count);
        var bought = profile.RecentItems.Where(r => r.Type == "purchase").Select(r => r.ItemId).ToHashSet();
        Assert.DoesNotContain(response.Items, i => bought.Contains(i.ItemId));
        Assert.StartsWith("popular in your cohort", response.Items[0].Reason, StringComparison.Ordinal);
        Assert.True(response.Items.Zip(response.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score || !p.Second.Reason.StartsWith("popular in", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Reclustering_the_same_population_keeps_cohort_ids_and_reports_transitions()
    {
        var second = await Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).Recompute();

        Assert.True(second.Version > fixture.First.Version);
        Assert.Equal(fixture.First.CohortIds.Order(), second.CohortIds.Order());
        var stayed = second.Transitions.Where(t => t.From == t.To).Sum(t => t.Users);
        Assert.True(stayed >= 0.9 * second.Transitions.Sum(t => t.Users), $"only {stayed} of {second.SampleSize} users kept their cohort: {string.Join("; ", second.Transitions.Select(t => $"{t.From}->{t.To}:{t.Users}"))} labels1 {string.Join("/", fixture.First.Labels)} labels2 {string.Join("/", second.Labels)} v{fixture.First.Version} v{second.Version}");
    }
}

/// <summary>
/// Behaviour changes that alter the population get their own cluster: a 800-event spree is an outlier that moves the
/// feature scaling, so it must not leak into the "same population" re-clustering test above.
/// </summary>
public sealed class CohortMoveTests(SegmentationFixture fixture) : IClassFixture<SegmentationFixture>
{
    private IClusterClient Client => fixture.Cluster.Client;

    [Fact]
    public async Task Window_shopper_who_starts_buying_big_moves_to_another_cohort_and_the_move_is_recorded()
    {
        var user = fixture.World.Users.First(u => u.Type == BehaviorType.WindowShopper);
        var grain = Client.GetGrain<IUserGrain>(user.Id);
        var before = (await grain.GetProfile())!.Cohort!.CohortId;

        var expensive = fixture.World.Items.OrderByDescending(i => i.Price).Take(40).ToList();
        var now = DateTimeOffset.UtcNow;
        var spree = new List<InteractionEvent>();
        for (var i = 0; i < 400; i++)
        {
            var item = expensive[i % expensive.Count];
            var at = now.AddSeconds(i * 20);
            spree.Add(new InteractionEvent($"spree-{i}-c", user.Id, item.Id, InteractionType.AddToCart, null, at, "desktop", now));
            spree.Add(new InteractionEvent($"spree-{i}-p", user.Id, item.Id, InteractionType.Purchase, item.Price * 3, at.AddSeconds(5), "desktop", now));
        }

        await fixture.Cluster.Publish(spree);
        await Eventually.True(async () => (await grain.GetProfile())!.Cohort!.CohortId != before, "the spree moves the user");

        var profile = (await grain.GetProfile())!;
        var move = profile.Transitions[^1];
        Assert.Equal(before, move.From);
        Assert.Equal(profile.Cohort!.CohortId, move.To);
        Assert.Null(profile.Transitions[0].From);
    }
}
