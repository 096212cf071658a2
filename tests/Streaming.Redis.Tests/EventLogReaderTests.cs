using Orleans.Runtime;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis.Tests;

[Collection(RedisCollection.Name)]
public sealed class EventLogReaderTests(RedisFixture redis)
{
    [Fact]
    public async Task Reader_returns_every_event_of_every_partition_once_oldest_first()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.EventLogPageSize = 7);
        var produced = new List<ProbeEvent>();
        for (var round = 0; round < 10; round++)
        {
            for (var user = 0; user < 12; user++)
            {
                var key = $"user-{user}";
                var batch = round % 3 == 0
                    ? new[] { new ProbeEvent(key, 2 * round), new ProbeEvent(key, (2 * round) + 1) }
                    : new[] { new ProbeEvent(key, 2 * round) };
                await harness.ProduceAsync(StreamId.Create("interactions", key), batch);
                produced.AddRange(batch);
            }
        }

        var read = new List<RedisStreamLogEvent>();
        await foreach (var item in harness.CreateReader().ReadAsync())
        {
            read.Add(item);
        }

        Assert.Equal(produced.Count, read.Count);
        Assert.Equal(produced.OrderBy(e => e.StreamKey).ThenBy(e => e.Sequence), read.Select(e => (ProbeEvent)e.Event).OrderBy(e => e.StreamKey).ThenBy(e => e.Sequence));
        Assert.True(read.Select(e => e.Partition).Distinct().Count() > 1, "events should come from several partitions");

        // One sequence across partitions, ordered by entry id (Redis time); two partitions can hold
        // the same id, then the lower partition comes first. (Partition, position) is unique.
        var order = read.Select(e => (e.Position.EntryId, e.Partition, e.Position.EventIndex)).ToList();
        Assert.Equal(order.Order().ToList(), order);
        Assert.Equal(read.Count, read.Select(e => (e.Partition, e.Position)).Distinct().Count());
        foreach (var perStream in read.GroupBy(e => e.StreamId))
        {
            var sequences = perStream.Select(e => ((ProbeEvent)e.Event).Sequence).ToList();
            Assert.Equal(sequences.Order().ToList(), sequences);
            Assert.All(perStream, e => Assert.Equal(perStream.Key.GetKeyAsString(), ((ProbeEvent)e.Event).StreamKey));
        }
    }

    [Fact]
    public async Task Reader_filters_by_time_window_and_namespace_and_skips_undecodable_entries()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(0);
        var otherNamespace = harness.StreamInPartition(1, "audit");

        // Entries written with explicit ids have known times: t = 1000 s, 2000 s, 2500 s (garbage), 3000 s.
        var codec = new RedisStreamEntryCodec(ProviderHarness.Serializer);
        var key = harness.PartitionKey(0);
        await redis.Server.Database.StreamAddAsync(key, codec.Encode(stream, [new ProbeEvent("early", 0)], null), "1000000-0");
        await redis.Server.Database.StreamAddAsync(key, codec.Encode(stream, [new ProbeEvent("middle", 1)], null), "2000000-0");
        await redis.Server.Database.StreamAddAsync(key, [new NameValueEntry("v", "1"), new NameValueEntry("ns", "interactions"), new NameValueEntry("data", new byte[] { 9 })], "2500000-0");
        await redis.Server.Database.StreamAddAsync(key, codec.Encode(stream, [new ProbeEvent("late", 2)], null), "3000000-0");
        await harness.ProduceAsync(otherNamespace, new ProbeEvent("audit", 3));

        var reader = harness.CreateReader();
        var window = new List<RedisStreamLogEvent>();
        await foreach (var item in reader.ReadAsync(
            from: DateTimeOffset.FromUnixTimeMilliseconds(1_500_000),
            until: DateTimeOffset.FromUnixTimeMilliseconds(3_000_000)))
        {
            window.Add(item);
        }

        var only = Assert.Single(window);
        Assert.Equal("middle", ((ProbeEvent)only.Event).StreamKey);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2_000_000), only.Timestamp);

        var audit = new List<RedisStreamLogEvent>();
        await foreach (var item in reader.ReadAsync(streamNamespace: "audit"))
        {
            audit.Add(item);
        }

        Assert.Equal("audit", ((ProbeEvent)Assert.Single(audit).Event).StreamKey);
    }

    [Fact]
    public void Reader_rejects_invalid_options_with_the_validator_message()
    {
        var error = Assert.Throws<ArgumentException>(() => new RedisStreamEventLogReader(
            "interactions",
            new RedisStreamOptions { PartitionCount = 0 },
            redis.Server.Multiplexer,
            ProviderHarness.Serializer));
        Assert.Contains("PartitionCount must be between 1 and 1024", error.Message);
    }
}
