using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Reads one partition for the Orleans pulling agent that owns it.
/// </summary>
/// <remarks>
/// <para>Life of a receiver: ensure the consumer group exists (<c>MKSTREAM</c>); take the
/// partition lease; claim, in id order, every entry other consumers read but never acknowledged
/// (a previous owner that died or lost the lease) and hand those out again; then read new entries
/// with <c>XREADGROUP … &gt;</c> inside a script that first checks the lease, so two silos never
/// split the new entries of a partition between them during a rebalance.</para>
/// <para>Acknowledgement: the agent reports a batch delivered when its queue cache purges it, i.e.
/// every consumer's <c>OnNextAsync</c> for it has returned. Only then, plus
/// <see cref="RedisStreamOptions.AcknowledgementDelay"/>, is the entry <c>XACK</c>ed. Anything
/// unacknowledged when a silo dies stays in the group's pending list and is redelivered by the
/// next owner: at least once, in per-stream order, duplicates possible.</para>
/// <para>The agent calls one method at a time (it runs on its own single-threaded scheduler), so
/// the state below needs no locks.</para>
/// </remarks>
internal sealed partial class RedisStreamReceiver : IQueueAdapterReceiver
{
    // Returns 0 when the caller does not hold the lease, otherwise the XREADGROUP reply (or an
    // empty array). Checking and reading in one script is what makes the lease a fence.
    private const string ReadScript = """
        if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
        redis.call('PEXPIRE', KEYS[2], ARGV[4])
        local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
        if not reply then return {} end
        return reply
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """;

    // Takes the lease when it is free or already ours (after a group reset we may still hold it);
    // returns 1, or the current owner's name.
    private const string AcquireScript = """
        local owner = redis.call('GET', KEYS[1])
        if owner == false or owner == ARGV[1] then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        return owner
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private const int MaxRecoveryPagesPerCall = 16;

    private static readonly IList<IBatchContainer> NoBatches = Array.Empty<IBatchContainer>();

    private readonly string _providerName;
    private readonly int _partition;
    private readonly RedisKey _key;
    private readonly RedisKey _leaseKey;
    private readonly RedisValue _group;
    private readonly RedisValue _consumer;
    private readonly RedisStreamOptions _options;
    private readonly RedisStreamConnection _connection;
    private readonly RedisStreamEntryCodec _codec;
    private readonly RedisStreamDeadLetters _deadLetters;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly long _leaseMilliseconds;
    private readonly TimeSpan _leaseRetryInterval;
    private readonly IRedisStreamRecovery? _recovery;
    private readonly RedisStreamPartitionMonitor? _monitor;
    private readonly bool _consumerAcknowledges;
    private readonly TimeSpan _sweepInterval;
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    // Batches handed to the agent and not yet acknowledged, in hand-out order (= cache order).
    private readonly Queue<RedisStreamBatchContainer> _inFlight = new();
    private readonly HashSet<RedisStreamBatchContainer> _released = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<DelayedAck> _delayedAcks = new();

    private Phase _phase = Phase.CreateGroup;
    private DateTimeOffset _nextLeaseAttempt = DateTimeOffset.MinValue;
    private bool _waitingLogged;
    private RedisValue _recoveryFrom = "-";
    private int _recoveredCount;
    private long _handOutSequence;
    private RedisEntryId _highestHandedOut;

    public RedisStreamReceiver(
        string providerName,
        int partition,
        RedisStreamKeys keys,
        RedisStreamOptions options,
        RedisStreamConnection connection,
        RedisStreamEntryCodec codec,
        RedisStreamDeadLetters deadLetters,
        TimeProvider timeProvider,
        ILogger logger,
        IRedisStreamRecovery? recovery = null,
        RedisStreamPartitionMonitor? monitor = null)
    {
        _providerName = providerName;
        _monitor = monitor;
        _recovery = recovery;
        _consumerAcknowledges = options.Acknowledgement == RedisStreamAcknowledgement.ByConsumer;
        // Often enough that an entry waits at most ~1.25 timeouts, rarely enough to cost nothing.
        _sweepInterval = options.ConsumerAcknowledgementTimeout / 4;
        _partition = partition;
        _key = keys.Partition(partition);
        _leaseKey = keys.Lease(partition);
        _group = options.ConsumerGroup;
        _options = options;
        _connection = connection;
        _codec = codec;
        _deadLetters = deadLetters;
        _timeProvider = timeProvider;
        _logger = logger;
        _leaseMilliseconds = (long)options.PendingIdleTimeout.TotalMilliseconds;
        _leaseRetryInterval = TimeSpan.FromTicks(Math.Clamp(
            options.PendingIdleTimeout.Ticks / 10,
            TimeSpan.FromMilliseconds(50).Ticks,
            TimeSpan.FromSeconds(1).Ticks));

        // A fresh consumer name per receiver: what a dead receiver left pending stays visibly
        // "someone else's" and is claimed, never mistaken for our own in-flight entries.
        _consumer = $"{Environment.MachineName}-{Environment.ProcessId}-p{partition}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}";
    }

    private enum Phase
    {
        CreateGroup,
        AcquireLease,
        Recover,
        Read,
    }

    /// <summary>The Redis consumer name this receiver reads as (diagnostics and tests).</summary>
    internal string ConsumerName => _consumer.ToString();

    internal int InFlightCount => _inFlight.Count;

    internal int DelayedAckCount
    {
        get
        {
            var count = 0;
            foreach (var delayed in _delayedAcks)
            {
                count += delayed.Ids.Length;
            }

            return count;
        }
    }

    public Task Initialize(TimeSpan timeout) => Initialize(timeout, CancellationToken.None);

    public async Task Initialize(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await EnsureGroupAsync(database).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        _phase = Phase.AcquireLease;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await FlushDueAcksAsync(database).ConfigureAwait(false);

        var count = maxCount > 0 ? Math.Min(maxCount, _options.ReadBatchSize) : _options.ReadBatchSize;
        try
        {
            if (_phase == Phase.CreateGroup)
            {
                // Initialize failed or the group vanished (someone deleted the key): the agent keeps
                // pumping and expects the receiver to heal itself.
                await EnsureGroupAsync(database).ConfigureAwait(false);
                _phase = Phase.AcquireLease;
            }

            if (_phase == Phase.AcquireLease)
            {
                if (!await TryAcquireLeaseAsync(database).ConfigureAwait(false))
                {
                    return NoBatches;
                }

                _phase = Phase.Recover;
                _recoveryFrom = "-";
                _recoveredCount = 0;
            }

            if (_phase == Phase.Recover)
            {
                if (!await RenewLeaseAsync(database).ConfigureAwait(false))
                {
                    LeaseLost();
                    return NoBatches;
                }

                // Pages holding only entries our agent already has yield nothing; skip a few of them
                // per call rather than one per poll period.
                for (var page = 0; ; page++)
                {
                    var recovered = await RecoverPageAsync(database, count, cancellationToken).ConfigureAwait(false);
                    if (recovered is null)
                    {
                        break;
                    }

                    if (recovered.Count > 0 || page == MaxRecoveryPagesPerCall - 1)
                    {
                        return recovered;
                    }
                }

                _phase = Phase.Read;
                LogRecovered(_providerName, _partition, _recoveredCount);
                await ForgetDrainedConsumersAsync(database).ConfigureAwait(false);
            }

            if (_consumerAcknowledges && _timeProvider.GetUtcNow() >= _nextSweep)
            {
                _nextSweep = _timeProvider.GetUtcNow() + _sweepInterval;
                if (await SweepUnacknowledgedAsync(database, count, cancellationToken).ConfigureAwait(false) is { Count: > 0 } redelivered)
                {
                    return redelivered;
                }
            }

            return await ReadNewAsync(database, count, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
        {
            LogGroupMissing(_providerName, _partition);
            _phase = Phase.CreateGroup;
            return NoBatches;
        }
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (_consumerAcknowledges)
        {
            // Delivered is not persisted: the consumer acknowledges once its effects are saved. A batch
            // whose delivery failed stays pending too, and the sweep asks for its recovery.
            return;
        }

        var newestReleased = -1L;
        foreach (var message in messages)
        {
            if (message is RedisStreamBatchContainer batch && batch.HandOutSequence >= 0)
            {
                _released.Add(batch);
                newestReleased = Math.Max(newestReleased, batch.HandOutSequence);
            }
        }

        // The cache purges oldest-first and leaves out only batches whose delivery failed. So an
        // unreleased batch handed out before a released one was dropped after a failed delivery:
        // the agent already told the failure handler (dead-letter record); acknowledge it too, or
        // it would sit in the pending list for ever.
        var ids = new List<RedisValue>(messages.Count);
        while (_inFlight.TryPeek(out var oldest))
        {
            if (_released.Remove(oldest))
            {
                ids.Add(oldest.EntryId.ToString());
            }
            else if (oldest.HandOutSequence < newestReleased)
            {
                LogDeliveryAbandoned(_providerName, _partition, oldest.EntryId.ToString());
                ids.Add(oldest.EntryId.ToString());
            }
            else
            {
                break;
            }

            _inFlight.Dequeue();
        }

        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (ids.Count > 0)
        {
            if (_options.AcknowledgementDelay > TimeSpan.Zero)
            {
                _delayedAcks.Enqueue(new DelayedAck(_timeProvider.GetUtcNow() + _options.AcknowledgementDelay, [.. ids]));
            }
            else
            {
                await AcknowledgeAsync(database, [.. ids]).ConfigureAwait(false);
            }
        }

        await FlushDueAcksAsync(database).ConfigureAwait(false);
    }

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public async Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await ShutdownCoreAsync(database).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task ShutdownCoreAsync(IDatabase database)
    {
        // Acknowledgements that are due go out; the rest stay pending on purpose: their effects may
        // not be persisted yet, so the next owner redelivers them and consumers deduplicate.
        await FlushDueAcksAsync(database).ConfigureAwait(false);

        // Releasing the lease lets the next owner take over now instead of after PendingIdleTimeout.
        await database.ScriptEvaluateAsync(ReleaseScript, [_leaseKey], [_consumer]).ConfigureAwait(false);
        _monitor?.Released(_partition, _consumer.ToString());

        var stillPending = _inFlight.Count + DelayedAckCount;
        if (stillPending == 0 && await OwnPendingCountAsync(database).ConfigureAwait(false) == 0)
        {
            // Nothing of ours is pending (asked Redis, not just our bookkeeping: deleting a consumer
            // deletes its pending entries): drop the name so dead ones do not pile up in XINFO.
            await database.StreamDeleteConsumerAsync(_key, _group, _consumer).ConfigureAwait(false);
        }

        LogShutdown(_providerName, _partition, stillPending);
        _phase = Phase.AcquireLease;
    }

    private async Task EnsureGroupAsync(IDatabase database)
    {
        var start = _options.NewConsumerGroupStart == RedisConsumerGroupStart.Beginning ? "0" : "$";
        try
        {
            if (await database.StreamCreateConsumerGroupAsync(_key, _group, start, createStream: true).ConfigureAwait(false))
            {
                LogGroupCreated(_providerName, _partition, _options.ConsumerGroup, start);
            }
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another silo (or an earlier run) created it: exactly what we want.
        }
    }

    private async Task<bool> TryAcquireLeaseAsync(IDatabase database)
    {
        var now = _timeProvider.GetUtcNow();
        if (now < _nextLeaseAttempt)
        {
            return false;
        }

        var reply = await database.ScriptEvaluateAsync(AcquireScript, [_leaseKey], [_consumer, _leaseMilliseconds]).ConfigureAwait(false);
        if (reply.Resp2Type == ResultType.Integer)
        {
            _waitingLogged = false;
            LogLeaseAcquired(_providerName, _partition, _consumer.ToString());
            _monitor?.Acquired(_partition, _consumer.ToString(), now);
            return true;
        }

        _nextLeaseAttempt = now + _leaseRetryInterval;
        if (!_waitingLogged)
        {
            _waitingLogged = true;
            LogWaitingForLease(_providerName, _partition, reply.ToString(), _options.PendingIdleTimeout);
        }

        return false;
    }

    private async Task<bool> RenewLeaseAsync(IDatabase database)
    {
        var renewed = await database.ScriptEvaluateAsync(RenewScript, [_leaseKey], [_consumer, _leaseMilliseconds]).ConfigureAwait(false);
        return (long)renewed == 1;
    }

    private void LeaseLost()
    {
        // Someone else owns the partition now (we went silent longer than the lease). Stop reading
        // new entries; batches already handed out still get delivered and acknowledged. If we get
        // the lease back we claim again before reading, so nothing another owner left is skipped.
        LogLeaseLost(_providerName, _partition);
        _monitor?.Released(_partition, _consumer.ToString());
        _phase = Phase.AcquireLease;
        _nextLeaseAttempt = DateTimeOffset.MinValue;
    }

    /// <summary>
    /// One page of the group's pending list, in id order: every entry not already with our agent
    /// is claimed and handed out. Returns null once the pending list holds nothing new for us.
    /// </summary>
    private async Task<IList<IBatchContainer>?> RecoverPageAsync(IDatabase database, int count, CancellationToken cancellationToken)
    {
        var pending = await database.StreamPendingMessagesAsync(_key, _group, count, RedisValue.Null, _recoveryFrom, "+").ConfigureAwait(false);
        if (pending.Length == 0)
        {
            return null;
        }

        var toClaim = new List<RedisValue>(pending.Length);
        foreach (var entry in pending)
        {
            var mine = entry.ConsumerName == _consumer;
            if (mine && _handOutSequence > 0
                && RedisEntryId.TryParse(entry.MessageId.ToString(), out var id) && id <= _highestHandedOut)
            {
                continue; // already with our agent
            }

            toClaim.Add(entry.MessageId);
        }

        _recoveryFrom = "(" + pending[^1].MessageId.ToString();
        if (toClaim.Count == 0)
        {
            return NoBatches;
        }

        // Minimum idle time 0: holding the lease means the previous owner can no longer read new
        // entries, so whatever it still has in flight can only come out as a duplicate.
        var claimed = await database.StreamClaimAsync(_key, _group, _consumer, 0, [.. toClaim]).ConfigureAwait(false);
        if (claimed.Length < toClaim.Count)
        {
            await ReportTrimmedAsync(database, toClaim, claimed).ConfigureAwait(false);
        }

        var batches = await ToBatchesAsync(database, claimed, cancellationToken).ConfigureAwait(false);
        _recoveredCount += batches.Count;
        if (batches.Count > 0)
        {
            LogClaimed(_providerName, _partition, batches.Count);
        }

        return batches;
    }

    /// <summary>
    /// Redis drops a claimed id from the pending list without returning it when the entry itself
    /// is gone. Gone because it was acknowledged meanwhile is fine; gone because trimming removed
    /// it before anyone delivered it means lost events, and that must be loud.
    /// </summary>
    private async Task ReportTrimmedAsync(IDatabase database, List<RedisValue> requested, StreamEntry[] claimed)
    {
        var returned = new HashSet<RedisValue>(claimed.Length);
        foreach (var entry in claimed)
        {
            returned.Add(entry.Id);
        }

        var oldest = await database.StreamRangeAsync(_key, "-", "+", 1).ConfigureAwait(false);
        var oldestId = oldest.Length == 1 && RedisEntryId.TryParse(oldest[0].Id.ToString(), out var first) ? first : (RedisEntryId?)null;
        foreach (var id in requested)
        {
            if (!returned.Contains(id)
                && RedisEntryId.TryParse(id.ToString(), out var missing)
                && (oldestId is null || missing < oldestId.Value))
            {
                LogTrimmedBeforeDelivery(_providerName, _partition, missing.ToString());
            }
        }
    }

    private async Task<IList<IBatchContainer>> ReadNewAsync(IDatabase database, int count, CancellationToken cancellationToken)
    {
        var reply = await database.ScriptEvaluateAsync(
            ReadScript,
            [_key, _leaseKey],
            [_group, _consumer, count, _leaseMilliseconds]).ConfigureAwait(false);

        if (reply.Resp2Type == ResultType.Integer)
        {
            LeaseLost();
            return NoBatches;
        }

        var entries = ParseReadReply(reply);
        return entries.Length == 0 ? NoBatches : await ToBatchesAsync(database, entries, cancellationToken).ConfigureAwait(false);
    }

    // XREADGROUP reply: [[stream key, [[id, [field, value, …]], …]]].
    private static StreamEntry[] ParseReadReply(RedisResult reply)
    {
        if (reply.IsNull || reply.Length == 0)
        {
            return [];
        }

        var streamEntries = reply[0][1];
        if (streamEntries.IsNull)
        {
            return [];
        }

        var entries = new StreamEntry[streamEntries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var raw = streamEntries[i];
            var rawFields = raw[1];
            NameValueEntry[] fields;
            if (rawFields.IsNull)
            {
                fields = [];
            }
            else
            {
                fields = new NameValueEntry[rawFields.Length / 2];
                for (var f = 0; f < fields.Length; f++)
                {
                    fields[f] = new NameValueEntry((RedisValue)rawFields[2 * f], (RedisValue)rawFields[(2 * f) + 1]);
                }
            }

            entries[i] = new StreamEntry((RedisValue)raw[0], fields);
        }

        return entries;
    }

    private async Task<IList<IBatchContainer>> ToBatchesAsync(IDatabase database, StreamEntry[] entries, CancellationToken cancellationToken)
    {
        if (entries.Length > 1)
        {
            Array.Sort(entries, static (a, b) => CompareIds(a.Id, b.Id));
        }

        var batches = new List<IBatchContainer>(entries.Length);
        List<RedisValue>? unusable = null;
        foreach (var entry in entries)
        {
            if (entry.IsNull || !RedisEntryId.TryParse(entry.Id.ToString(), out var id))
            {
                continue;
            }

            if (entry.Values is null || entry.Values.Length == 0)
            {
                // Trimmed away while still pending: the event is gone. Retention must outlast the
                // longest outage; this warning is the signal that it did not.
                LogTrimmedBeforeDelivery(_providerName, _partition, id.ToString());
                (unusable ??= []).Add(entry.Id);
                continue;
            }

            if (!_codec.TryDecode(entry.Values, out var payload, out var previous, out var error))
            {
                LogUndecodable(_providerName, _partition, id.ToString(), error!);
                await _deadLetters.RecordAsync("undecodable", _partition, id.ToString(), null, error, cancellationToken).ConfigureAwait(false);
                (unusable ??= []).Add(entry.Id);
                continue;
            }

            var batch = new RedisStreamBatchContainer(payload!.StreamId, id, payload.Events, payload.RequestContext, previous)
            {
                HandOutSequence = ++_handOutSequence,
            };
            if (id > _highestHandedOut)
            {
                _highestHandedOut = id;
            }

            if (!_consumerAcknowledges)
            {
                _inFlight.Enqueue(batch);
            }

            batches.Add(batch);
        }

        if (batches.Count > 0)
        {
            _monitor?.HandedOut(_partition, _consumer.ToString(), batches.Count);
        }

        if (unusable is not null)
        {
            // Nothing will ever deliver these; leaving them pending would replay them on every failover.
            await AcknowledgeAsync(database, [.. unusable]).ConfigureAwait(false);
        }

        return batches;
    }

    /// <summary>
    /// With consumer acknowledgement: entries pending longer than the timeout belong to a consumer that
    /// never confirmed them, most likely because its silo died before it persisted their effects. They
    /// are claimed (which restarts their idle clock and counts an attempt) and their streams handed to
    /// the recovery handler, which makes each consumer catch up from the log. Without a handler the
    /// entries are handed to the agent again. An entry that keeps coming back is dead-lettered.
    /// </summary>
    private async Task<IList<IBatchContainer>?> SweepUnacknowledgedAsync(IDatabase database, int count, CancellationToken cancellationToken)
    {
        var timeout = (long)_options.ConsumerAcknowledgementTimeout.TotalMilliseconds;
        var pending = await database.StreamPendingMessagesAsync(_key, _group, count, RedisValue.Null, "-", "+", timeout).ConfigureAwait(false);
        if (pending.Length == 0)
        {
            return null;
        }

        var toClaim = new List<RedisValue>(pending.Length);
        List<RedisValue>? exhausted = null;
        foreach (var entry in pending)
        {
            if (entry.DeliveryCount > _options.MaxRecoveryAttempts)
            {
                (exhausted ??= []).Add(entry.MessageId);
            }
            else
            {
                toClaim.Add(entry.MessageId);
            }
        }

        if (exhausted is not null)
        {
            foreach (var id in exhausted)
            {
                LogRecoveryExhausted(_providerName, _partition, id.ToString(), _options.MaxRecoveryAttempts);
                await _deadLetters.RecordAsync("recovery-exhausted", _partition, id.ToString(), null, $"unacknowledged after {_options.MaxRecoveryAttempts} recovery attempts", cancellationToken).ConfigureAwait(false);
            }

            await AcknowledgeAsync(database, [.. exhausted]).ConfigureAwait(false);
        }

        if (toClaim.Count == 0)
        {
            return null;
        }

        var claimed = await database.StreamClaimAsync(_key, _group, _consumer, timeout, [.. toClaim]).ConfigureAwait(false);
        if (claimed.Length == 0)
        {
            return null;
        }

        if (_recovery is null)
        {
            LogRedelivering(_providerName, _partition, claimed.Length);
            return await ToBatchesAsync(database, claimed, cancellationToken).ConfigureAwait(false);
        }

        var streams = new HashSet<StreamId>();
        foreach (var entry in claimed)
        {
            if (!entry.IsNull && entry.Values is { Length: > 0 } && _codec.TryDecode(entry.Values, out var payload, out _))
            {
                streams.Add(payload!.StreamId);
            }
        }

        LogRecovering(_providerName, _partition, claimed.Length, streams.Count);
        var calls = new List<Task>(streams.Count);
        foreach (var stream in streams)
        {
            calls.Add(RecoverAsync(stream, cancellationToken));
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
        return null;
    }

    private async Task RecoverAsync(StreamId stream, CancellationToken cancellationToken)
    {
        try
        {
            await _recovery!.RecoverAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Still pending: the next sweep after the timeout tries again (and counts the attempt).
            LogRecoveryFailed(ex, _providerName, _partition, _options.DescribeStream(stream));
        }
    }

    private async Task FlushDueAcksAsync(IDatabase database)
    {
        if (_delayedAcks.Count == 0)
        {
            return;
        }

        var now = _timeProvider.GetUtcNow();
        List<RedisValue>? due = null;
        while (_delayedAcks.TryPeek(out var next) && next.Due <= now)
        {
            _delayedAcks.Dequeue();
            (due ??= []).AddRange(next.Ids);
        }

        if (due is not null)
        {
            await AcknowledgeAsync(database, [.. due]).ConfigureAwait(false);
        }
    }

    private async Task AcknowledgeAsync(IDatabase database, RedisValue[] ids)
    {
        try
        {
            var acknowledged = await database.StreamAcknowledgeAsync(_key, _group, ids).ConfigureAwait(false);
            LogAcknowledged(_providerName, _partition, acknowledged, ids.Length);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Retried on the next call; if this silo dies first the entries are redelivered (duplicates, not loss).
            LogAcknowledgeFailed(ex, _providerName, _partition, ids.Length);
            _delayedAcks.Enqueue(new DelayedAck(DateTimeOffset.MinValue, ids));
        }
    }

    private async Task<int> OwnPendingCountAsync(IDatabase database)
    {
        var summary = await database.StreamPendingAsync(_key, _group).ConfigureAwait(false);
        foreach (var consumer in summary.Consumers ?? [])
        {
            if (consumer.Name == _consumer)
            {
                return consumer.PendingMessageCount;
            }
        }

        return 0;
    }

    private async Task ForgetDrainedConsumersAsync(IDatabase database)
    {
        // Every receiver start leaves a consumer name behind; once its pending entries have been
        // claimed it is just clutter in XINFO CONSUMERS.
        foreach (var consumer in await database.StreamConsumerInfoAsync(_key, _group).ConfigureAwait(false))
        {
            if (consumer.Name != _consumer && consumer.PendingMessageCount == 0)
            {
                await database.StreamDeleteConsumerAsync(_key, _group, consumer.Name).ConfigureAwait(false);
            }
        }
    }

    private static int CompareIds(RedisValue left, RedisValue right)
    {
        RedisEntryId.TryParse(left.ToString(), out var a);
        RedisEntryId.TryParse(right.ToString(), out var b);
        return a.CompareTo(b);
    }

    private readonly record struct DelayedAck(DateTimeOffset Due, RedisValue[] Ids);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: created consumer group {Group} starting at '{Start}'.")]
    private partial void LogGroupCreated(string provider, int partition, string group, string start);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: the consumer group is missing (stream deleted?); recreating it.")]
    private partial void LogGroupMissing(string provider, int partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: lease acquired by {Consumer}.")]
    private partial void LogLeaseAcquired(string provider, int partition, string consumer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: lease held by {Owner}; waiting until it is released or expires (at most {Timeout}).")]
    private partial void LogWaitingForLease(string provider, int partition, string owner, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: lease lost; no new entries are read until it is reacquired.")]
    private partial void LogLeaseLost(string provider, int partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: claimed {Count} pending entries for redelivery.")]
    private partial void LogClaimed(string provider, int partition, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: recovery finished, {Count} pending entries redelivered; reading new entries.")]
    private partial void LogRecovered(string provider, int partition, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: entry {EntryId} was trimmed before it was delivered; its events are lost.")]
    private partial void LogTrimmedBeforeDelivery(string provider, int partition, string entryId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream provider {Provider} partition {Partition}: entry {EntryId} cannot be decoded ({Reason}); dead-lettered and acknowledged.")]
    private partial void LogUndecodable(string provider, int partition, string entryId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: the agent gave up delivering entry {EntryId}; acknowledging it.")]
    private partial void LogDeliveryAbandoned(string provider, int partition, string entryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: acknowledging {Count} entries failed; will retry.")]
    private partial void LogAcknowledgeFailed(Exception exception, string provider, int partition, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream provider {Provider} partition {Partition}: acknowledged {Acknowledged} of {Requested} entries.")]
    private partial void LogAcknowledged(string provider, int partition, long acknowledged, int requested);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: {Count} entries stayed unacknowledged; asking the consumers of {Streams} streams to catch up from the log.")]
    private partial void LogRecovering(string provider, int partition, int count, int streams);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: {Count} entries stayed unacknowledged; delivering them again.")]
    private partial void LogRedelivering(string provider, int partition, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: recovery of stream {StreamId} failed; retried after the acknowledgement timeout.")]
    private partial void LogRecoveryFailed(Exception exception, string provider, int partition, string streamId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream provider {Provider} partition {Partition}: entry {EntryId} is still unacknowledged after {Attempts} recovery attempts; dead-lettered and acknowledged.")]
    private partial void LogRecoveryExhausted(string provider, int partition, string entryId, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: receiver shut down, {Pending} entries left pending for the next owner.")]
    private partial void LogShutdown(string provider, int partition, int pending);
}
