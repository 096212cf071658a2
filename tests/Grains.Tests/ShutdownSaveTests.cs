using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Hosting.Embedded;
using Cohortly.Grains.Hosting.Redis;
using Cohortly.Grains.Users;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>
/// What users and cohorts with unsaved state do when their silo shuts down: with in-process state (Embedded) they save
/// nothing, since the memory storage goes away with the silo (each attempt used to fail and log a stack trace); with
/// state that outlives the process (Redis) they save as on every other deactivation. The users' write-behind is 30
/// minutes away and they never go idle here, so every user write counted is a deactivation's save. That an idle user
/// still saves in embedded mode is <see cref="IdleDeactivationTests"/>.
/// </summary>
public sealed class ShutdownSaveTests
{
    private const int Users = 4;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static IConfiguration Configuration { get; } = FastLoopCluster.Configuration(new Dictionary<string, string?>
    {
        ["Cohortly:Users:WriteBehind"] = "00:30:00",
        ["Cohortly:Users:IdleDeactivation"] = "01:00:00",
        ["Cohortly:Streams:AcknowledgementTimeout"] = "01:00:00",
    });

    [Fact]
    public async Task Embedded_silo_shutdown_leaves_users_and_cohorts_with_unsaved_state_without_writing_to_the_memory_storage()
    {
        var writes = new CountedWrites();
        var cluster = await FastLoopCluster.Start(Configuration, after: services => writes.Around(services, StreamNames.Storage));
        await using (cluster)
        {
            Assert.False(cluster.Silos[0].ServiceProvider.GetRequiredService<UserGrainSettings>().StateOutlivesProcess);
            var cohortWrites = await StopWithUnsavedState(cluster, writes, "shutdown-embedded");
            Assert.Equal(0, cohortWrites);
        }

        Assert.Equal(0, writes.Of("user"));
    }

    [Fact]
    public async Task Silo_shutdown_saves_each_user_and_cohort_with_unsaved_state_when_the_state_outlives_the_process()
    {
        var writes = new CountedWrites();
        // The embedded silo's memory storage under a backend that says its state is durable (the production
        // registrations keep a backend already registered): the grains' side of a Redis silo's stop.
        var durable = new RedisBackend(RedisConnection.Plain("127.0.0.1:1"));
        var cluster = await FastLoopCluster.Start(
            Configuration,
            before: services => services.AddSingleton<CohortlyBackend>(durable),
            after: services => writes.Around(services, StreamNames.Storage));
        await using (cluster)
        {
            Assert.True(cluster.Silos[0].ServiceProvider.GetRequiredService<UserGrainSettings>().StateOutlivesProcess);
            var cohortWrites = await StopWithUnsavedState(cluster, writes, "shutdown-durable");
            Assert.Equal(1, cohortWrites);
        }

        Assert.Equal(Users, writes.Of("user"));
    }

    [Fact]
    public void Only_shutdown_with_in_process_state_skips_the_save_on_deactivation()
    {
        var embedded = new EmbeddedBackend();
        var redis = new RedisBackend(RedisConnection.Plain("127.0.0.1:1"));
        Assert.False(embedded.StateOutlivesProcess);
        Assert.True(redis.StateOutlivesProcess);

        foreach (var code in Enum.GetValues<DeactivationReasonCode>())
        {
            var reason = new DeactivationReason(code, "test");
            Assert.True(redis.SavesOnDeactivation(reason), $"Redis saves on {code}");
            Assert.Equal(code != DeactivationReasonCode.ShuttingDown, embedded.SavesOnDeactivation(reason));
        }
    }

    /// <summary>
    /// Users whose events are applied and a cohort with a delta applied, none of them saved yet, then the silo stopped;
    /// answers the cohort's writes during the stop (its own write-behind runs every 10 s, so only writes after the
    /// delta and before the stop are left out).
    /// </summary>
    private static async Task<int> StopWithUnsavedState(InProcessTestCluster cluster, CountedWrites writes, string prefix)
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, Users).Select(i => $"{prefix}-{i}").ToArray();
        await FastLoopCluster.Publish(cluster.Client, ids.Select(id =>
            new InteractionEvent($"{id}-p", id, "item-1", InteractionType.Purchase, 10, now, "mobile", now))).WaitAsync(Bound);
        foreach (var id in ids)
        {
            var user = cluster.Client.GetGrain<IUserGrain>(id);
            await Eventually.True(async () => (await user.GetProfile())?.Counts.GetValueOrDefault("purchase") == 1, "the event is applied", Bound);
        }

        Assert.Equal(0, writes.Of("user"));
        // A cohort no user belongs to, so the silo's last flush at the stop sends it nothing.
        var cohort = cluster.Client.GetGrain<ICohortGrain>(9001);
        await cohort.ApplyDelta(new CohortDelta(1, 0, new Dictionary<string, double> { ["item-1"] = 1 }, now)).WaitAsync(Bound);
        var cohortBefore = writes.Of(cohort.GetGrainId());

        await cluster.StopAllSilosAsync().WaitAsync(Bound);
        return writes.Of(cohort.GetGrainId()) - cohortBefore;
    }
}
