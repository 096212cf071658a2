using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Users;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>
/// A silo where users deactivate after 3 s idle and streams leave the pulling agents after 3 s, and nothing is written
/// behind for 30 minutes: whatever storage holds after the deactivation was saved by the deactivation itself.
/// </summary>
/// <remarks>
/// The streams' 3 s (at most the users' idle age, which the options require) is the time the test has, from the first
/// user's events to its count of held streams, to publish and read back all six users: at 1 s a busy machine could
/// let the first streams go before the count, failing a test whose code was right.
/// </remarks>
public sealed class IdleClusterFixture : IAsyncLifetime
{
    public static IConfiguration Configuration { get; } = FastLoopCluster.Configuration(new Dictionary<string, string?>
    {
        ["Cohortly:Users:IdleDeactivation"] = "00:00:03",
        ["Cohortly:Streams:Inactivity"] = "00:00:03",
        ["Cohortly:Users:WriteBehind"] = "00:30:00",
        ["Cohortly:Streams:AcknowledgementTimeout"] = "01:00:00",
    });

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await FastLoopCluster.Start(Configuration);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Alone, because the pulling agents' stream count is a process-wide gauge of the provider's name, which every
/// Cohortly test silo shares.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IdleDeactivationCollection : ICollectionFixture<IdleClusterFixture>
{
    public const string Name = "idle deactivation";
}

[Collection(IdleDeactivationCollection.Name)]
public sealed class IdleDeactivationTests(IdleClusterFixture fixture)
{
    private const int Users = 6;

    [Fact]
    public async Task Idle_user_deactivates_after_the_configured_age_with_its_state_saved_and_its_stream_released_then_reactivates_intact()
    {
        var client = fixture.Cluster.Client;
        var silo = fixture.Cluster.Silos[0].ServiceProvider;
        var storage = silo.GetRequiredKeyedService<IGrainStorage>(StreamNames.Storage);
        var baseline = PullingAgentStreams.Held(StreamNames.Provider);
        var ids = Enumerable.Range(0, Users).Select(i => $"idle-{i}").ToArray();
        var provider = client.GetStreamProvider(StreamNames.Provider);
        var now = DateTimeOffset.UtcNow;
        foreach (var id in ids)
        {
            await provider.GetStream<InteractionEvent>(StreamId.Create(StreamNames.Interactions, id)).OnNextBatchAsync(
            [
                new InteractionEvent($"{id}-v", id, "item-1", InteractionType.View, null, now, "mobile", now),
                new InteractionEvent($"{id}-p", id, "item-2", InteractionType.Purchase, 12.5, now, "desktop", now),
            ]);
        }

        var users = ids.Select(id => client.GetGrain<IUserGrain>(id)).ToArray();
        var before = new List<UserProfileView>();
        foreach (var user in users)
        {
            before.Add((await Eventually.Value(user.GetProfile, p => p is { Counts: var c } && c.GetValueOrDefault("purchase") == 1, "both events are applied"))!);
        }

        Assert.True(PullingAgentStreams.Held(StreamNames.Provider) >= baseline + Users, "each user's stream is held by a pulling agent while it carries events");
        // Write-behind is 30 minutes away: nothing is stored yet.
        Assert.Null(await Stored(storage, users[0].GetGrainId()));

        var management = client.GetGrain<IManagementGrain>(0);
        var userType = users[0].GetGrainId().Type;
        await Eventually.True(async () => (await management.GetActiveGrains(userType)).Count == 0, "every idle user deactivates", TimeSpan.FromSeconds(30));

        // The agents sweep idle streams on their own schedule, not the grains' collection's: waited for, not assumed done.
        await Eventually.True(() => Task.FromResult(PullingAgentStreams.Held(StreamNames.Provider) <= baseline), "the pulling agents release the streams (and their cache cursors) of the idle users", TimeSpan.FromSeconds(30));
        foreach (var user in users)
        {
            var stored = await Stored(storage, user.GetGrainId());
            Assert.NotNull(stored);
            Assert.Equal(2, stored.Profile.TotalEvents);
            Assert.Equal(12.5, stored.Profile.Monetary);
        }

        for (var i = 0; i < users.Length; i++)
        {
            var after = await users[i].GetProfile();
            Assert.NotNull(after);
            Assert.Equal(before[i].Counts, after.Counts);
            Assert.Equal(before[i].Monetary, after.Monetary);
            Assert.Equal(before[i].Devices, after.Devices);
            Assert.Equal(before[i].RecentItems.Select(r => r.ItemId), after.RecentItems.Select(r => r.ItemId));
        }

        Assert.Equal(Users, (await management.GetActiveGrains(userType)).Count);
    }

    private static async Task<UserState?> Stored(IGrainStorage storage, GrainId id)
    {
        var state = new GrainState<UserState> { State = new UserState() };
        await storage.ReadStateAsync("user", id, state);
        return state.RecordExists ? state.State : null;
    }
}
