using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Streams;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>
/// Exactly-once support: entries linked per stream, acknowledged by the consumer after it saved, and
/// recovery asked for when a consumer never confirms.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ConsumerAcknowledgementTests(RedisFixture redis)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Each_entry_links_to_the_previous_entry_of_its_own_stream_only()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.Acknowledgement = RedisStreamAcknowledgement.ByConsumer);
        var a = harness.StreamInPartition(1);
        var b = harness.StreamInPartition(1, "other");
        await harness.ProduceAsync(a, new ProbeEvent("a", 0));
        await harness.ProduceAsync(b, new ProbeEvent("b", 0));
        await harness.ProduceAsync(a, new ProbeEvent("a", 1), new ProbeEvent("a", 2));

        var receiver = await harness.StartReceiverAsync(1);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 3, Patience);
        var tokens = batches.Select(x => (RedisStreamSequenceToken)x.SequenceToken).ToList();

        Assert.Equal(RedisEntryId.Zero, tokens[0].PreviousEntryId);
        Assert.Equal(RedisEntryId.Zero, tokens[1].PreviousEntryId);
        Assert.Equal(tokens[0].EntryId, tokens[2].PreviousEntryId);
        Assert.Equal(tokens[2].EntryId, await harness.CreateCheckpoint().HeadAsync(a));
        Assert.Equal(tokens[1].EntryId, await harness.CreateCheckpoint().HeadAsync(b));

        // Every event of an entry carries the entry's link.
        var events = batches[2].GetEvents<ProbeEvent>().ToList();
        Assert.All(events, e => Assert.Equal(tokens[0].EntryId, ((RedisStreamSequenceToken)e.Item2).PreviousEntryId));
    }

    [Fact]
    public async Task A_consumer_that_missed_entries_sees_the_gap_at_the_next_event_and_reads_exactly_the_missed_ones()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.Acknowledgement = RedisStreamAcknowledgement.ByConsumer);
        var stream = harness.StreamInPartition(2);
        for (var i = 0; i < 6; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var receiver = await harness.StartReceiverAsync(2);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 6, Patience);
        var ids = batches.Select(ProviderHarness.IdOf).ToList();

        // Saved state says entry 1 was the last applied; entries 2..4 were applied in a dead activation.
        var saved = new RedisStreamPosition(ids[1], 0);
        var next = (RedisStreamSequenceToken)batches[5].SequenceToken;
        Assert.Equal(ids[4], next.MissedSince(saved));
        Assert.Null(next.MissedSince(new RedisStreamPosition(ids[4], 0)));

        var gap = await harness.CreateCheckpoint().ReadMissingAsync(stream, ids[4], ids[1]);
        Assert.Equal(RedisStreamGapEnd.Complete, gap.End);
        Assert.Equal([ids[2], ids[3], ids[4]], gap.Entries.Select(e => e.EntryId).ToArray());
        Assert.Equal([2, 3, 4], gap.Entries.Select(e => ((ProbeEvent)e.Events[0]).Sequence).ToArray());

        // From the very beginning: the whole stream.
        var all = await harness.CreateCheckpoint().ReadMissingAsync(stream, ids[5], RedisEntryId.Zero);
        Assert.Equal(ids, all.Entries.Select(e => e.EntryId).ToList());
    }

    [Fact]
    public async Task A_walk_back_that_meets_a_trimmed_entry_returns_what_is_left_and_says_so()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server, o =>
        {
            o.Acknowledgement = RedisStreamAcknowledgement.ByConsumer;
            o.Trimming = RedisStreamTrimming.None;
        });
        var stream = harness.StreamInPartition(0);
        for (var i = 0; i < 4; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var entries = await redis.Server.Database.StreamRangeAsync(harness.PartitionKey(0));
        await redis.Server.Database.StreamDeleteAsync(harness.PartitionKey(0), [entries[1].Id]);

        var gap = await harness.CreateCheckpoint().ReadMissingAsync(stream, RedisEntryId.Parse(entries[3].Id!), RedisEntryId.Zero);
        Assert.Equal(RedisStreamGapEnd.Trimmed, gap.End);
        Assert.Equal([2, 3], gap.Entries.Select(e => ((ProbeEvent)e.Events[0]).Sequence).ToArray());
    }

    [Fact]
    public async Task With_consumer_acknowledgement_delivery_acknowledges_nothing_and_the_consumer_does()
    {
        var harness = await ProviderHarness.CreateAsync(redis.Server, o => o.Acknowledgement = RedisStreamAcknowledgement.ByConsumer);
        var stream = harness.StreamInPartition(3);
        for (var i = 0; i < 3; i++)
        {
            await harness.ProduceAsync(stream, new ProbeEvent("s", i));
        }

        var receiver = await harness.StartReceiverAsync(3);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 3, Patience);
        await receiver.MessagesDeliveredAsync(batches, CancellationToken.None);
        Assert.Equal(3, await harness.PendingCountAsync(3));

        // The consumer saved the first two.
        var acknowledged = await harness.CreateCheckpoint().AcknowledgeAsync(stream, [ProviderHarness.IdOf(batches[0]), ProviderHarness.IdOf(batches[1])]);
        Assert.Equal(2, acknowledged);
        Assert.Equal(1, await harness.PendingCountAsync(3));
    }

    [Fact]
    public async Task Entries_left_unacknowledged_past_the_timeout_make_the_owner_ask_their_streams_to_recover()
    {
        var recovery = new RecordingRecovery();
        var harness = await RecoveringHarnessAsync(recovery, maxRecoveryAttempts: 20);
        var lost = harness.StreamInPartition(1);
        var saved = harness.StreamInPartition(1, "other");
        await harness.ProduceAsync(lost, new ProbeEvent("lost", 0));
        await harness.ProduceAsync(saved, new ProbeEvent("saved", 0));

        var receiver = await harness.StartReceiverAsync(1);
        var batches = await ProviderHarness.ReadAtLeastAsync(receiver, 2, Patience);
        await harness.CreateCheckpoint().AcknowledgeAsync(saved, [ProviderHarness.IdOf(batches[1])]);

        await Eventually.Value(
            async () =>
            {
                await receiver.GetQueueMessagesAsync(100, CancellationToken.None);
                return recovery.Streams.Count;
            },
            n => n >= 1,
            "the owner asks for recovery of the unacknowledged stream",
            Patience);
        Assert.Equal([lost], recovery.Streams.Distinct().ToArray());
        Assert.Equal(1, await harness.PendingCountAsync(1));
    }

    [Fact]
    public async Task An_entry_nobody_ever_confirms_is_dead_lettered_after_the_recovery_attempts()
    {
        var recovery = new RecordingRecovery();
        var harness = await RecoveringHarnessAsync(recovery, maxRecoveryAttempts: 1);
        var stream = harness.StreamInPartition(2);
        await harness.ProduceAsync(stream, new ProbeEvent("s", 0));
        var receiver = await harness.StartReceiverAsync(2);
        await ProviderHarness.ReadAtLeastAsync(receiver, 1, Patience);

        await Eventually.Value(
            async () =>
            {
                await receiver.GetQueueMessagesAsync(100, CancellationToken.None);
                return await harness.PendingCountAsync(2);
            },
            n => n == 0,
            "the entry is given up after one recovery attempt",
            Patience);
        Assert.Single(recovery.Streams);
        var deadLetters = await redis.Server.Database.StreamRangeAsync(harness.Factory.Keys.DeadLetter);
        Assert.Contains(deadLetters, d => d.Values.Any(v => v.Value.ToString().Contains("recovery-exhausted", StringComparison.Ordinal)));
    }

    /// <summary>Consumer acknowledgement with the shortest timeout the options allow, so a sweep comes within seconds.</summary>
    private Task<ProviderHarness> RecoveringHarnessAsync(RecordingRecovery recovery, int maxRecoveryAttempts) =>
        ProviderHarness.CreateAsync(
            redis.Server,
            o =>
            {
                o.Acknowledgement = RedisStreamAcknowledgement.ByConsumer;
                o.ConsumerAcknowledgementTimeout = TimeSpan.FromSeconds(1);
                o.MaxRecoveryAttempts = maxRecoveryAttempts;
            },
            recovery: recovery);

    private sealed class RecordingRecovery : IRedisStreamRecovery
    {
        public ConcurrentQueue<StreamId> Streams { get; } = new();

        public Task RecoverAsync(StreamId streamId, CancellationToken cancellationToken)
        {
            Streams.Enqueue(streamId);
            return Task.CompletedTask;
        }
    }
}
