using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Cohortly.Streaming.Redis.Tests;

[Collection(StreamingClusterCollection.Name)]
public sealed class ClusterTests(StreamingClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private Orleans.Streams.IStreamProvider Producer => fixture.Cluster.Client.GetStreamProvider(StreamingClusterFixture.ProviderName);

    [Fact]
    public async Task Implicit_subscribers_get_every_event_in_per_stream_order_with_monotonic_tokens()
    {
        const int Streams = 40;
        const int EventsPerStream = 24;
        var run = Guid.NewGuid().ToString("N")[..8];
        var keys = Enumerable.Range(0, Streams).Select(i => $"{run}-user-{i}").ToList();

        // Streams in parallel, each stream strictly in order (await each append). Every third
        // stream sends batches of three, so entries with several events are covered too.
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, _) =>
        {
            var stream = Producer.GetStream<ProbeEvent>(StreamId.Create(StreamingClusterFixture.Namespace, key));
            var batched = key.EndsWith('0') || key.EndsWith('3') || key.EndsWith('6');
            for (var i = 0; i < EventsPerStream; i += batched ? 3 : 1)
            {
                if (batched)
                {
                    await stream.OnNextBatchAsync([new ProbeEvent(key, i), new ProbeEvent(key, i + 1), new ProbeEvent(key, i + 2)]);
                }
                else
                {
                    await stream.OnNextAsync(new ProbeEvent(key, i));
                }
            }
        });

        foreach (var key in keys)
        {
            var grain = fixture.Cluster.Client.GetGrain<IProbeGrain>(key);
            var received = await Eventually.Value(
                grain.GetReceived,
                r => r.Count >= EventsPerStream,
                $"{EventsPerStream} events on stream {key}",
                Patience);

            Assert.Equal(Enumerable.Range(0, EventsPerStream), received.Select(r => r.Sequence));
            for (var i = 1; i < received.Count; i++)
            {
                Assert.True(received[i].Position > received[i - 1].Position, $"position {received[i].Position} after {received[i - 1].Position} on {key}");
                Assert.True(received[i].TokenSequenceNumber >= received[i - 1].TokenSequenceNumber);
            }
        }

        // Nothing arrives twice and nothing else arrives later.
        var again = await fixture.Cluster.Client.GetGrain<IProbeGrain>(keys[0]).GetReceived();
        Assert.Equal(EventsPerStream, again.Count);

        // The happy path is quiet: no warning or error from the provider or the pulling agents.
        Assert.Empty(fixture.Logs.AtLeast(LogLevel.Warning));
    }

    [Fact]
    public async Task After_the_producers_await_the_entry_is_already_in_redis()
    {
        var key = $"durable-{Guid.NewGuid():N}";
        await Producer.GetStream<ProbeEvent>(StreamId.Create("audit", key)).OnNextAsync(new ProbeEvent(key, 42));

        // No waiting: the append completed, so some partition stream holds the entry now.
        var found = 0;
        for (var partition = 0; partition < 4; partition++)
        {
            foreach (var entry in await fixture.Redis.Database.StreamRangeAsync($"{{{fixture.KeyPrefix}:{partition}}}"))
            {
                if ((string?)entry["key"] == key && (string?)entry["ns"] == "audit")
                {
                    found++;
                }
            }
        }

        Assert.Equal(1, found);
    }

    [Fact]
    public async Task The_silos_event_log_reader_returns_everything_produced()
    {
        var streamNamespace = $"log-{Guid.NewGuid():N}";
        var produced = new List<ProbeEvent>();
        for (var user = 0; user < 15; user++)
        {
            var key = $"reader-user-{user}";
            var stream = Producer.GetStream<ProbeEvent>(StreamId.Create(streamNamespace, key));
            for (var i = 0; i < 5; i++)
            {
                var item = new ProbeEvent(key, i);
                await stream.OnNextAsync(item);
                produced.Add(item);
            }
        }

        var reader = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<RedisStreamEventLogReader>(StreamingClusterFixture.ProviderName);
        var read = new List<RedisStreamLogEvent>();
        await foreach (var item in reader.ReadAsync(streamNamespace: streamNamespace))
        {
            read.Add(item);
        }

        Assert.Equal(
            produced.OrderBy(e => e.StreamKey).ThenBy(e => e.Sequence),
            read.Select(e => (ProbeEvent)e.Event).OrderBy(e => e.StreamKey).ThenBy(e => e.Sequence));
        foreach (var perStream in read.GroupBy(e => e.StreamId))
        {
            Assert.Equal(Enumerable.Range(0, 5), perStream.Select(e => ((ProbeEvent)e.Event).Sequence));
        }
    }
}
