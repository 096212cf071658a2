using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Streams.Core;
using Orleans.TestingHost;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>
/// What a consumer with durable state keeps: the applied sequence per stream and the last applied
/// position. Static so it survives a killed in-process silo, like a grain's persisted state.
/// </summary>
public static class DurableSink
{
    public static readonly ConcurrentDictionary<string, StreamState> Streams = new();

    public sealed class StreamState
    {
        public List<int> Applied { get; } = [];

        public RedisStreamPosition LastApplied { get; set; }

        public int Duplicates { get; set; }
    }
}

public interface IDurableConsumerGrain : IGrainWithStringKey
{
}

/// <summary>The consumer pattern the docs recommend: ignore anything at or below the last applied position.</summary>
[ImplicitStreamSubscription(FailoverTests.Namespace)]
public sealed class DurableConsumerGrain : Grain, IDurableConsumerGrain, IStreamSubscriptionObserver, IAsyncObserver<ProbeEvent>
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<ProbeEvent>().ResumeAsync(this);

    public Task OnNextAsync(ProbeEvent item, StreamSequenceToken? token = null)
    {
        if (!RedisStreamSequenceToken.TryGetPosition(token, out var position))
        {
            throw new InvalidOperationException("Expected a Redis stream token.");
        }

        var state = DurableSink.Streams.GetOrAdd(this.GetPrimaryKeyString(), _ => new DurableSink.StreamState());
        lock (state)
        {
            if (position <= state.LastApplied)
            {
                state.Duplicates++;
            }
            else
            {
                state.Applied.Add(item.Sequence);
                state.LastApplied = position;
            }
        }

        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}

public sealed class FailoverTests : IAsyncLifetime
{
    public const string Namespace = "durable-interactions";
    private const string ProviderName = "redis";

    private readonly CapturedLogs _logs = new();
    private RedisStreamingCluster? _started;

    public async Task InitializeAsync() => _started = await RedisStreamingCluster.StartAsync(
        ProviderName,
        silos: 2,
        options =>
        {
            options.PartitionCount = 8;
            options.PendingIdleTimeout = TimeSpan.FromSeconds(2);

            // Long enough that everything delivered before the kill is still unacknowledged:
            // the surviving silo must redeliver it, and the consumer must ignore the duplicates.
            options.AcknowledgementDelay = TimeSpan.FromMinutes(5);
        },
        silo => silo.ConfigureLogging(logging => logging.AddProvider(_logs)));

    public async Task DisposeAsync()
    {
        if (_started is not null)
        {
            await _started.DisposeAsync();
        }
    }

    // An in-process "kill" still lets the victim's pulling agents shut down (lease released, pending
    // entries left behind); the harder case, a receiver that vanishes holding its lease, is
    // ReceiverTests.Entries_a_dead_receiver_left_pending_are_redelivered_in_order_before_newer_entries.
    [Fact]
    public async Task A_killed_silo_loses_no_event_and_the_consumer_applies_each_exactly_once_in_order()
    {
        var cluster = _started!.Cluster;
        var run = Guid.NewGuid().ToString("N")[..8];
        var keys = Enumerable.Range(0, 24).Select(i => $"{run}-{i}").ToList();
        var producer = cluster.Client.GetStreamProvider(ProviderName);
        const int Half = 10;

        async Task ProduceAsync(int from, int to)
        {
            foreach (var key in keys)
            {
                var stream = producer.GetStream<ProbeEvent>(StreamId.Create(Namespace, key));
                for (var i = from; i < to; i++)
                {
                    await stream.OnNextAsync(new ProbeEvent(key, i));
                }
            }
        }

        await ProduceAsync(0, Half);
        await Eventually.Value(
            () => Task.FromResult(keys.Sum(k => DurableSink.Streams.TryGetValue(k, out var s) ? s.Applied.Count : 0)),
            n => n == keys.Count * Half,
            "the first half to be applied",
            TimeSpan.FromSeconds(60));

        var duplicatesBefore = keys.Sum(k => DurableSink.Streams[k].Duplicates);
        var victim = cluster.Silos[0];
        await cluster.KillSiloAsync(victim);
        await ProduceAsync(Half, 2 * Half);

        await Eventually.Value(
            () => Task.FromResult(keys.Sum(k => DurableSink.Streams.TryGetValue(k, out var s) ? s.Applied.Count : 0)),
            n => n >= keys.Count * 2 * Half,
            "every event to be applied after the kill",
            TimeSpan.FromSeconds(150));

        foreach (var key in keys)
        {
            var state = DurableSink.Streams[key];
            lock (state)
            {
                Assert.Equal(Enumerable.Range(0, 2 * Half), state.Applied);
            }
        }

        // The killed silo's partitions had unacknowledged entries (acknowledgement delay); the
        // survivor claimed and redelivered them, and the consumer ignored what it had applied.
        Assert.True(
            keys.Sum(k => DurableSink.Streams[k].Duplicates) > duplicatesBefore,
            "expected redelivered duplicates after the kill; logs:\n" + string.Join("\n", _logs.Records.Where(r => r.Category.StartsWith("Cohortly", StringComparison.Ordinal))));
        Assert.DoesNotContain(_logs.AtLeast(LogLevel.Error), r => r.Category.StartsWith("Cohortly", StringComparison.Ordinal));
    }
}
