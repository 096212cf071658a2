using Cohortly.Contracts;

namespace Cohortly.Grains.Tests;

public sealed class GrainReferencesTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Resolved_references_equal_the_ones_Orleans_builds_and_reach_the_same_activation()
    {
        var client = fixture.Client;
        foreach (var user in new[] { "refs-a", "refs-b", "refs/ünï code" })
        {
            // The first call resolves and remembers the types; every later one builds from them.
            var expected = (GrainReference)client.GetGrain<IUserGrain>(user);
            var first = (GrainReference)client.GetUserGrain(user);
            var again = (GrainReference)client.GetUserGrain(user);
            Assert.Equal(expected.GrainId, first.GrainId);
            Assert.Equal(expected.GrainId, again.GrainId);
            Assert.Equal(expected.InterfaceType, again.InterfaceType);
            Assert.Equal(expected, again);
        }

        await fixture.Publish([new InteractionEvent("refs-e1", "refs-a", "i1", InteractionType.Purchase, 5, DateTimeOffset.UtcNow, "web", DateTimeOffset.UtcNow)]);
        await Eventually.True(async () => (await client.GetUserGrain("refs-a").GetProfile())?.Counts["purchase"] == 1, "the event reaches the grain through the resolved reference");
        Assert.Null(await client.GetUserGrain("refs-nobody").GetProfile());

        var similar = (GrainReference)client.GetItemSimilarityGrain();
        Assert.Equal(((GrainReference)client.GetGrain<IItemSimilarityGrain>(0)).GrainId, similar.GrainId);
        Assert.Equal(((GrainReference)client.GetItemSimilarityGrain()).GrainId, similar.GrainId);
    }

    [Fact]
    public void A_user_always_reaches_the_same_serving_worker_key_and_users_spread_over_all_of_them()
    {
        var client = fixture.Client;
        var keys = new HashSet<long>();
        for (var u = 0; u < 2_000; u++)
        {
            var user = $"spread-{u}";
            var key = ((GrainReference)client.GetUserServingGrain(user)).GetPrimaryKeyLong();
            Assert.Equal(key, ((GrainReference)client.GetUserServingGrain(user)).GetPrimaryKeyLong());
            Assert.Equal(((GrainReference)client.GetGrain<IUserServingGrain>(key)).GrainId, ((GrainReference)client.GetUserServingGrain(user)).GrainId);
            Assert.InRange(key, 0, GrainReferences.UserServingKeys - 1);
            keys.Add(key);
        }

        // One key would put every read of the cluster on one gateway connection (Orleans buckets by target grain).
        Assert.Equal(GrainReferences.UserServingKeys, keys.Count);
    }
}
