using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.Streams;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis.Tests;

[Collection(RedisCollection.Name)]
public sealed class ReceiverTests(RedisFixture redis)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Producer_await_returns_only_after_the_entry_is_in_the_partition_stream()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(2);

        await harness.ProduceAsync(stream, new ProbeEvent("a", 0), new ProbeEvent("a", 1));

        // Read straight after the await, no waiting: the entry must already be there.
        var entries = await redis.Server.Database.StreamRangeAsync(harness.PartitionKey(2));
        var entry = Assert.Single(entries);
        Assert.Equal("interactions", (string?)entry["ns"]);
        Assert.Equal(stream.GetKeyAsString(), (string?)entry["key"]);
        Assert.Equal("1", (string?)entry["v"]);
        Assert.True(RedisEntryId.TryParse(entry.Id.ToString(), out _));
    }

    [Fact]
    public async Task Receiver_hands_out_entries_in_id_order_with_tokens_carrying_the_redis_id()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(1);
        for (var i = 0; i < 5; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var receiver = await harness.StartReceiverAsync(1);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 5, Patience);

        var redisIds = (await redis.Server.Database.StreamRangeAsync(harness.PartitionKey(1))).Select(e => RedisEntryId.Parse(e.Id.ToString())).ToList();
        Assert.Equal(redisIds, batches.Select(ProviderHarness.IdOf).ToList());
        Assert.Equal([0, 1, 2, 3, 4], batches.SelectMany(b => b.GetEvents<ProbeEvent>()).Select(e => e.Item1.Sequence).ToArray());
        Assert.All(batches, b => Assert.Equal(stream, b.StreamId));
    }

    [Fact]
    public async Task Entries_are_acknowledged_only_once_the_agent_reports_them_delivered()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(0);
        for (var i = 0; i < 3; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var receiver = await harness.StartReceiverAsync(0);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 3, Patience);
        Assert.Equal(3, await harness.PendingCountAsync(0));

        await receiver.MessagesDeliveredAsync([batches[0]], CancellationToken.None);
        Assert.Equal(2, await harness.PendingCountAsync(0));

        await receiver.MessagesDeliveredAsync([batches[1], batches[2]], CancellationToken.None);
        Assert.Equal(0, await harness.PendingCountAsync(0));
        Assert.Equal(0, receiver.InFlightCount);
    }

    [Fact]
    public async Task Acknowledgement_waits_for_the_configured_delay_after_delivery()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.AcknowledgementDelay = TimeSpan.FromSeconds(30), time);
        var stream = harness.StreamInPartition(3);
        await harness.ProduceAsync(stream, new ProbeEvent("s", 0));
        await harness.ProduceAsync(stream, new ProbeEvent("s", 1));

        var receiver = await harness.StartReceiverAsync(3);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 2, Patience);
        await receiver.MessagesDeliveredAsync(batches, CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(await receiver.GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Equal(2, await harness.PendingCountAsync(3));

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(await receiver.GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Equal(0, await harness.PendingCountAsync(3));
    }

    [Fact]
    public async Task Entries_a_dead_receiver_left_pending_are_redelivered_in_order_before_newer_entries()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.PendingIdleTimeout = TimeSpan.FromSeconds(1));
        var stream = harness.StreamInPartition(2);
        for (var i = 0; i < 3; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        // The first owner reads and then "dies": no delivery report, no shutdown, lease not released.
        var dead = await harness.StartReceiverAsync(2);
        var readByDead = await ProviderHarness.ReadAtLeastAsync(dead, 3, Patience);
        Assert.Equal(3, await harness.PendingCountAsync(2));

        for (var i = 3; i < 5; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var next = await harness.StartReceiverAsync(2);
        var redelivered = await ProviderHarness.ReadAtLeastAsync(next, 5, Patience);

        Assert.Equal(readByDead.Select(ProviderHarness.IdOf), redelivered.Take(3).Select(ProviderHarness.IdOf));
        Assert.Equal([0, 1, 2, 3, 4], redelivered.SelectMany(b => b.GetEvents<ProbeEvent>()).Select(e => e.Item1.Sequence).ToArray());
        var ids = redelivered.Select(ProviderHarness.IdOf).ToList();
        Assert.Equal(ids.Order().ToList(), ids);

        await next.MessagesDeliveredAsync(redelivered, CancellationToken.None);
        Assert.Equal(0, await harness.PendingCountAsync(2));
    }

    [Fact]
    public async Task Graceful_shutdown_hands_the_partition_and_its_pending_entries_over_at_once()
    {
        // Ten-minute lease: only an explicit release can explain an immediate takeover.
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(1);
        for (var i = 0; i < 3; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var first = await harness.StartReceiverAsync(1);
        var read = await ProviderHarness.ReadAtLeastAsync(first, 3, Patience);
        await first.Shutdown(TimeSpan.FromSeconds(10), CancellationToken.None);

        var second = await harness.StartReceiverAsync(1);
        var batches = await second.GetQueueMessagesAsync(100, CancellationToken.None);
        Assert.Equal(read.Select(ProviderHarness.IdOf), batches.Select(ProviderHarness.IdOf));
    }

    [Fact]
    public async Task A_second_receiver_reads_nothing_while_the_owner_holds_the_partition_lease()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(0);
        var owner = await harness.StartReceiverAsync(0);
        Assert.Empty(await owner.GetQueueMessagesAsync(100, CancellationToken.None)); // takes the lease

        await harness.ProduceAsync(stream, new ProbeEvent("s", 0));
        var intruder = await harness.StartReceiverAsync(0);
        Assert.Empty(await intruder.GetQueueMessagesAsync(100, CancellationToken.None));

        var read = await ProviderHarness.ReadAtLeastAsync(owner, 1, Patience);
        Assert.Equal(0, Assert.Single(read.SelectMany(b => b.GetEvents<ProbeEvent>())).Item1.Sequence);
        Assert.Empty(await intruder.GetQueueMessagesAsync(100, CancellationToken.None));
    }

    [Fact]
    public async Task A_receiver_whose_lease_expired_stops_reading_while_the_new_owner_takes_over()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.PendingIdleTimeout = TimeSpan.FromSeconds(1));
        var stream = harness.StreamInPartition(3);
        await harness.ProduceAsync(stream, new ProbeEvent("s", 0));

        // The old owner stalls (no polls) with an undelivered batch; its lease runs out.
        var stalled = await harness.StartReceiverAsync(3);
        var stalledBatches = await ProviderHarness.ReadAtLeastAsync(stalled, 1, Patience);
        var owner = await harness.StartReceiverAsync(3);
        var claimed = await ProviderHarness.ReadAtLeastAsync(owner, 1, Patience);
        Assert.Equal(ProviderHarness.IdOf(stalledBatches[0]), ProviderHarness.IdOf(claimed[0]));

        await harness.ProduceAsync(stream, new ProbeEvent("s", 1));
        Assert.Empty(await stalled.GetQueueMessagesAsync(100, CancellationToken.None)); // fenced off
        var next = await ProviderHarness.ReadAtLeastAsync(owner, 1, Patience);
        Assert.Equal(1, Assert.Single(next.SelectMany(b => b.GetEvents<ProbeEvent>())).Item1.Sequence);

        // What the stalled owner still delivers is acknowledged (a duplicate for the consumer, no harm).
        await stalled.MessagesDeliveredAsync(stalledBatches, CancellationToken.None);
        await owner.MessagesDeliveredAsync([.. claimed, .. next], CancellationToken.None);
        Assert.Equal(0, await harness.PendingCountAsync(3));
    }

    [Fact]
    public async Task A_batch_the_cache_dropped_after_a_failed_delivery_is_acknowledged_with_the_next_ones()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(3);
        for (var i = 0; i < 3; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var receiver = await harness.StartReceiverAsync(3);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 3, Patience);

        // The simple cache leaves a failed batch out of the purge list; later batches still come.
        await receiver.MessagesDeliveredAsync([batches[0], batches[2]], CancellationToken.None);

        Assert.Equal(0, await harness.PendingCountAsync(3));
        Assert.Equal(0, receiver.InFlightCount);
    }

    [Fact]
    public async Task An_undecodable_entry_is_dead_lettered_and_acknowledged_without_blocking_the_partition()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(1);
        await redis.Server.Database.StreamAddAsync(harness.PartitionKey(1), [new NameValueEntry("v", "1"), new NameValueEntry("data", new byte[] { 1, 2, 3 })]);
        await harness.ProduceAsync(stream, new ProbeEvent("s", 7));

        var receiver = await harness.StartReceiverAsync(1);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 1, Patience);

        Assert.Equal(7, Assert.Single(batches.SelectMany(b => b.GetEvents<ProbeEvent>())).Item1.Sequence);
        Assert.Equal(1, await harness.PendingCountAsync(1)); // only the good one awaits delivery
        var deadLetters = await redis.Server.Database.StreamRangeAsync($"{harness.Options.KeyPrefix}:dead-letter");
        Assert.Equal("undecodable", (string?)Assert.Single(deadLetters)["reason"]);
    }

    [Fact]
    public async Task Receiver_recreates_a_deleted_stream_and_group_and_keeps_reading()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server);
        var stream = harness.StreamInPartition(0);
        var receiver = await harness.StartReceiverAsync(0);
        Assert.Empty(await receiver.GetQueueMessagesAsync(100, CancellationToken.None));

        await redis.Server.Database.KeyDeleteAsync(harness.PartitionKey(0));
        await harness.ProduceAsync(stream, new ProbeEvent("s", 1)); // XADD recreates the key, without the group

        // NOGROUP is healed by recreating the group; with the default start (Beginning) the entry is read.
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 1, Patience);
        Assert.Equal(1, Assert.Single(batches.SelectMany(b => b.GetEvents<ProbeEvent>())).Item1.Sequence);
    }

    [Fact]
    public async Task Entries_trimmed_while_pending_are_reported_lost_and_do_not_block_recovery()
    {
        var logs = new CapturedLogs();
        var harness = await ProviderHarness.CreateAsync(redis.Server, loggerFactory: LoggerFactory.Create(b => b.AddProvider(logs)));
        var stream = harness.StreamInPartition(0);
        for (var i = 0; i < 3; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var first = await harness.StartReceiverAsync(0);
        await ProviderHarness.ReadAtLeastAsync(first, 3, Patience);
        await first.Shutdown(TimeSpan.FromSeconds(10), CancellationToken.None);

        // Retention far too short: the pending entries are trimmed before anyone delivered them.
        await redis.Server.Database.StreamTrimAsync(harness.PartitionKey(0), 0);
        await harness.ProduceAsync(stream, new ProbeEvent("s", 3));

        var second = await harness.StartReceiverAsync(0);
        var batches = await ProviderHarness.ReadAtLeastAsync(second, 1, Patience);

        Assert.Equal(3, Assert.Single(batches.SelectMany(b => b.GetEvents<ProbeEvent>())).Item1.Sequence);
        Assert.Equal(3, logs.AtLeast(LogLevel.Warning).Count(r => r.Message.Contains("trimmed before it was delivered", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Retention_trimming_drops_entries_older_than_the_retention_on_append()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.Retention = TimeSpan.FromHours(1), time);
        var stream = harness.StreamInPartition(2);
        var key = harness.PartitionKey(2);

        // Entries Redis stamped two hours "ago" (explicit ids), then one append from "now".
        var old = time.GetUtcNow().AddHours(-2).ToUnixTimeMilliseconds();
        for (var i = 0; i < 300; i++)
        {
            await redis.Server.Database.StreamAddAsync(key, "v", "0", $"{old}-{i + 1}");
        }

        await harness.ProduceAsync(stream, new ProbeEvent("s", 0));

        // MINID ~ trims whole internal nodes, so a few old entries may survive; most must be gone.
        var left = await redis.Server.Database.StreamLengthAsync(key);
        Assert.True(left < 150, $"expected most of the 300 expired entries trimmed, {left} entries left");
        var newest = (await redis.Server.Database.StreamRangeAsync(key, "-", "+", 1, Order.Descending)).Single();
        Assert.Equal("interactions", (string?)newest["ns"]);
    }
}
