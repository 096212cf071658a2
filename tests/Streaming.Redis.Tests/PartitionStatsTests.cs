using Orleans.Streams;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>The operators' numbers per partition against a planted backlog: append N, deliver M, acknowledge K.</summary>
[Collection(RedisCollection.Name)]
public sealed class PartitionStatsTests(RedisFixture redis)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Appended_delivered_acknowledged_pending_and_lag_match_a_planted_backlog()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.Acknowledgement = RedisStreamAcknowledgement.ByConsumer);
        var stream = harness.StreamInPartition(1);
        const int appended = 9, delivered = 6, acknowledged = 2;
        for (var i = 0; i < appended; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var receiver = await harness.StartReceiverAsync(1);
        var batches = new List<IBatchContainer>();
        await Eventually.True(
            async () =>
            {
                batches.AddRange(await receiver.GetQueueMessagesAsync(delivered - batches.Count, CancellationToken.None));
                return batches.Count == delivered;
            },
            $"{delivered} batches handed out",
            Patience);
        var checkpoint = harness.CreateCheckpoint();
        Assert.Equal(acknowledged, await checkpoint.AcknowledgeAsync(stream, [ProviderHarness.IdOf(batches[0]), ProviderHarness.IdOf(batches[1])]));
        var ids = (await redis.Server.Database.StreamRangeAsync(harness.PartitionKey(1))).Select(e => RedisEntryId.Parse(e.Id.ToString())).ToList();

        var stats = Assert.Single(await harness.Factory.Monitor.ReadOwnedAsync(CancellationToken.None));

        Assert.Equal(1, stats.Partition);
        Assert.True(stats.OwnedHere);
        Assert.Equal(receiver.ConsumerName, stats.LeaseHolder);
        Assert.Equal(delivered, stats.HandedOutByOwner);
        Assert.Equal(appended, stats.Length);
        Assert.Equal(appended, stats.Appended);
        Assert.Equal(ids[^1], stats.LastAppendedId);
        Assert.Equal(delivered, stats.Delivered);
        Assert.Equal(ids[delivered - 1], stats.LastDeliveredId);
        Assert.Equal(delivered - acknowledged, stats.Pending);
        Assert.Equal(ids[acknowledged], stats.OldestPendingId);
        Assert.Equal(acknowledged, stats.Acknowledged);
        Assert.Equal(appended - delivered, stats.Lag);
        Assert.False(stats.LagCapped);
        Assert.Equal(ids[delivered], stats.OldestUndeliveredId);
        Assert.True(stats.LagAge >= TimeSpan.Zero && stats.LagAge < TimeSpan.FromMinutes(1), $"lag age {stats.LagAge}");

        // Delivering and acknowledging the rest drains the partition.
        await Eventually.True(
            async () =>
            {
                batches.AddRange(await receiver.GetQueueMessagesAsync(100, CancellationToken.None));
                return batches.Count == appended;
            },
            "the rest handed out",
            Patience);
        await checkpoint.AcknowledgeAsync(stream, batches.Select(ProviderHarness.IdOf).ToList());
        var drained = await harness.Factory.Monitor.ReadAsync(1, CancellationToken.None);
        Assert.Equal((0L, 0L, (long)appended, (long)appended), (drained.Lag!.Value, drained.Pending, drained.Delivered!.Value, drained.Acknowledged!.Value));
        Assert.Null(drained.OldestUndeliveredId);
        Assert.Null(drained.OldestPendingId);
        Assert.Equal(TimeSpan.Zero, drained.LagAge);

        // Shutting the receiver down releases the lease: nobody owns the partition, and this process says so.
        await receiver.Shutdown(TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Empty(harness.Factory.Monitor.OwnedPartitions());
        var released = await harness.Factory.Monitor.ReadAsync(1, CancellationToken.None);
        Assert.Null(released.LeaseHolder);
        Assert.False(released.OwnedHere);
        Assert.Null(released.HandedOutByOwner);
    }

    [Fact]
    public async Task Lag_age_is_measured_on_the_redis_clock_from_the_oldest_undelivered_entry()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var key = harness.PartitionKey(2);
        var db = redis.Server.Database;
        var server = redis.Server.Multiplexer.GetServer(redis.Server.Multiplexer.GetEndPoints()[0]);
        var now = new DateTimeOffset(await server.TimeAsync(), TimeSpan.Zero);
        await db.StreamCreateConsumerGroupAsync(key, harness.Options.ConsumerGroup, "0", createStream: true);

        // Entries appended 90 and 30 seconds ago (explicit ids on Redis' clock), none delivered.
        var old = now.AddSeconds(-90).ToUnixTimeMilliseconds();
        var recent = now.AddSeconds(-30).ToUnixTimeMilliseconds();
        await db.StreamAddAsync(key, "v", "1", $"{old}-0");
        await db.StreamAddAsync(key, "v", "1", $"{recent}-0");

        var stats = await harness.Factory.Monitor.ReadAsync(2, CancellationToken.None);

        Assert.Equal(2, stats.Lag);
        Assert.False(stats.OwnedHere);
        Assert.Null(stats.LeaseHolder);
        Assert.Equal(new RedisEntryId((ulong)old, 0), stats.OldestUndeliveredId);
        Assert.InRange(stats.LagAge.TotalSeconds, 89.5, 120);
        Assert.Equal(0, stats.Pending);
        Assert.Equal(TimeSpan.Zero, stats.OldestPendingAge);
    }

    [Fact]
    public async Task Lag_is_counted_when_deletions_inside_the_unread_range_hide_it_from_redis()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(3);
        for (var i = 0; i < 5; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var receiver = await harness.StartReceiverAsync(3);
        var first = await receiver.GetQueueMessagesAsync(1, CancellationToken.None);
        Assert.Single(first);
        var ids = await redis.Server.Database.StreamRangeAsync(harness.PartitionKey(3));

        // An erasure deletes entries nobody has read yet: Redis stops knowing the group's lag.
        await redis.Server.Database.StreamDeleteAsync(harness.PartitionKey(3), [ids[2].Id]);

        var stats = await harness.Factory.Monitor.ReadAsync(3, CancellationToken.None);

        Assert.Equal(3, stats.Lag);
        Assert.False(stats.LagCapped);
        Assert.Equal(RedisEntryId.Parse(ids[1].Id.ToString()), stats.OldestUndeliveredId);
        Assert.Equal(5, stats.Appended);
        Assert.Equal(4, stats.Length);
    }

    [Fact]
    public async Task A_partition_nobody_created_reads_as_empty()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);

        var stats = await harness.Factory.Monitor.ReadAsync(0, CancellationToken.None);

        Assert.Equal((0L, 0L), (stats.Length, stats.Pending));
        Assert.Null(stats.Lag);
        Assert.Null(stats.Appended);
        Assert.Null(stats.LeaseHolder);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => harness.Factory.Monitor.ReadAsync(harness.Options.PartitionCount, CancellationToken.None));
    }
}
