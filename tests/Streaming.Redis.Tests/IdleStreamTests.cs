using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>
/// What a silo keeps per stream once its consumers go idle: the pulling agents hold a stream (with its consumers'
/// cache cursors) until StreamInactivityPeriod passes without an event, here 1 s; consumers deactivate after 2 s idle.
/// The provider has a name of its own, so the agents' process-wide gauge counts only this cluster's streams.
/// </summary>
public sealed class IdleStreamTests : IAsyncLifetime
{
    private const string Provider = "redis-idle";
    private const int Streams = 12;

    private readonly string _keyPrefix = $"idle:{Guid.NewGuid():N}";
    private RedisStreamingCluster? _started;

    private InProcessTestCluster Cluster => _started?.Cluster ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _started = await RedisStreamingCluster.StartAsync(
        Provider,
        silos: 1,
        options =>
        {
            options.KeyPrefix = _keyPrefix;
            options.PartitionCount = 4;
        },
        silo =>
        {
            silo.Services.Configure<StreamPullingAgentOptions>(Provider, o => o.StreamInactivityPeriod = TimeSpan.FromSeconds(1));
            silo.Services.Configure<GrainCollectionOptions>(o =>
            {
                o.CollectionQuantum = TimeSpan.FromSeconds(1);
                o.ClassSpecificCollectionAge[typeof(ProbeGrain).FullName!] = TimeSpan.FromSeconds(2);
            });
        });

    public async Task DisposeAsync()
    {
        if (_started is not null)
        {
            await _started.DisposeAsync();
        }
    }

    [Fact]
    public async Task Idle_streams_leave_the_pulling_agents_and_come_back_with_the_next_event()
    {
        var producer = Cluster.Client.GetStreamProvider(Provider);
        var keys = Enumerable.Range(0, Streams).Select(i => $"idle-user-{i}").ToArray();
        foreach (var key in keys)
        {
            await producer.GetStream<ProbeEvent>(StreamId.Create(StreamingClusterFixture.Namespace, key)).OnNextAsync(new ProbeEvent(key, 0));
        }

        var probes = keys.Select(k => Cluster.Client.GetGrain<IProbeGrain>(k)).ToArray();
        foreach (var probe in probes)
        {
            await Eventually.True(async () => (await probe.GetReceived()).Count == 1, "the first event arrives");
        }

        Assert.Equal(Streams, PullingAgentStreams.Held(Provider));

        var management = Cluster.Client.GetGrain<IManagementGrain>(0);
        var probeType = probes[0].GetGrainId().Type;
        await Eventually.True(() => Task.FromResult(PullingAgentStreams.Held(Provider) == 0), "the agents drop every idle stream");
        await Eventually.True(async () => (await management.GetActiveGrains(probeType)).Count == 0, "the idle consumers deactivate");

        // Nothing of the idle streams is left pending in Redis: every entry was delivered and acknowledged.
        var database = _started!.Redis.Database;
        for (var partition = 0; partition < 4; partition++)
        {
            var pending = await database.StreamPendingAsync($"{{{_keyPrefix}:{partition}}}", "cohortly");
            Assert.Equal(0, pending.PendingMessageCount);
        }

        // The next event registers the stream again and reaches a fresh activation.
        await producer.GetStream<ProbeEvent>(StreamId.Create(StreamingClusterFixture.Namespace, keys[0])).OnNextAsync(new ProbeEvent(keys[0], 1));
        var again = await Eventually.Value(probes[0].GetReceived, r => r.Count >= 1, "the event after the idle period arrives");
        Assert.Equal([1], again.Select(r => r.Sequence));
        Assert.Equal(1, PullingAgentStreams.Held(Provider));
    }
}
