using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Serialization;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>One entry of a stream read back from its partition: its id, the link to the stream's previous entry, its events.</summary>
public sealed record RedisStreamLoggedEntry(RedisEntryId EntryId, RedisEntryId? PreviousEntryId, IReadOnlyList<object> Events);

/// <summary>How far a walk back along a stream's links got.</summary>
public enum RedisStreamGapEnd
{
    /// <summary>Every entry after the consumer's last applied one was read.</summary>
    Complete,

    /// <summary>An older linked entry is gone (trimmed by retention): the entries before it cannot be recovered.</summary>
    Trimmed,

    /// <summary>An entry carries no link (written before links existed): nothing older can be found this way.</summary>
    Unlinked,
}

/// <summary>The entries a consumer missed, oldest first, and why the walk stopped.</summary>
public sealed record RedisStreamGap(IReadOnlyList<RedisStreamLoggedEntry> Entries, RedisStreamGapEnd End);

/// <summary>
/// Called by a partition's owner for a stream whose entries stayed unacknowledged longer than
/// <see cref="RedisStreamOptions.ConsumerAcknowledgementTimeout"/> (with
/// <see cref="RedisStreamAcknowledgement.ByConsumer"/>): the consumer that applied them probably died
/// with the effects unsaved. The handler makes the stream's consumer catch up from the log, e.g. by
/// calling its grain, which reads <see cref="RedisStreamCheckpoint.HeadAsync"/> and what it missed.
/// Register it as a keyed singleton under the provider name.
/// </summary>
public interface IRedisStreamRecovery
{
    Task RecoverAsync(StreamId streamId, CancellationToken cancellationToken);
}

/// <summary>
/// The consumer side of exactly-once delivery with <see cref="RedisStreamAcknowledgement.ByConsumer"/>:
/// acknowledge entries once their effects are persisted, find the newest entry of a stream, and read
/// back the entries a consumer missed by following the links between a stream's entries.
/// </summary>
/// <remarks>
/// Resolve it with <c>GetRequiredKeyedService&lt;RedisStreamCheckpoint&gt;(providerName)</c> in a silo
/// that called <c>AddRedisStreams</c>. Every method is one or a few Redis round trips on the stream's
/// partition; none touches the pulling agents.
/// </remarks>
public sealed partial class RedisStreamCheckpoint : IAsyncDisposable
{
    // Walks back from ARGV[1] along the 'prev' links while the id is above ARGV[2], at most ARGV[3]
    // entries. Returns {status, entries[, next id]}; status is 'reached', 'start', 'missing',
    // 'unlinked' or 'more' (the page is full; continue from the next id). One round trip per page
    // instead of one per entry.
    private const string WalkScript = """
        local function le(a, b)
          local am, as = string.match(a, '^(%d+)-(%d+)$')
          local bm, bs = string.match(b, '^(%d+)-(%d+)$')
          am = tonumber(am)
          bm = tonumber(bm)
          if am ~= bm then return am < bm end
          return tonumber(as) <= tonumber(bs)
        end
        local out = {}
        local id = ARGV[1]
        local max = tonumber(ARGV[3])
        while #out < max do
          if le(id, ARGV[2]) then return {'reached', out} end
          local r = redis.call('XRANGE', KEYS[1], id, id)
          if #r == 0 then return {'missing', out} end
          out[#out + 1] = r[1]
          local prev = nil
          local f = r[1][2]
          for j = 1, #f, 2 do
            if f[j] == 'prev' then prev = f[j + 1] end
          end
          if prev == nil then return {'unlinked', out} end
          if prev == '' then return {'start', out} end
          id = prev
        end
        return {'more', out, id}
        """;

    private const int WalkPageSize = 256;

    private readonly string _providerName;
    private readonly RedisStreamKeys _keys;
    private readonly RedisValue _group;
    private readonly RedisStreamConnection _connection;
    private readonly RedisStreamEntryCodec _codec;
    private readonly ILogger _logger;

    // Acknowledgements handed over by consumers, per partition, sent as one XACK per partition per flush.
    private readonly ConcurrentQueue<RedisValue>[] _toAcknowledge;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeSpan _flushInterval;
    private Task? _flushLoop;
    private int _queued;

    private readonly Func<StreamId, string> _describe;

    internal RedisStreamCheckpoint(string providerName, RedisStreamOptions options, RedisStreamConnection connection, Serializer serializer, ILogger logger)
    {
        _providerName = providerName;
        _describe = options.DescribeStream;
        _keys = new RedisStreamKeys(providerName, options);
        _group = options.ConsumerGroup;
        _connection = connection;
        _codec = new RedisStreamEntryCodec(serializer);
        _logger = logger;
        _flushInterval = options.AcknowledgementFlushInterval;
        _toAcknowledge = new ConcurrentQueue<RedisValue>[_keys.PartitionCount];
        for (var p = 0; p < _toAcknowledge.Length; p++)
        {
            _toAcknowledge[p] = new ConcurrentQueue<RedisValue>();
        }
    }

    /// <summary>Acknowledgements handed over and not yet sent (diagnostics and tests).</summary>
    public int QueuedAcknowledgements => Volatile.Read(ref _queued);

    /// <summary>
    /// Hands entries over for acknowledgement: they go out with the next flush (every
    /// <see cref="RedisStreamOptions.AcknowledgementFlushInterval"/>), one <c>XACK</c> per partition for
    /// everything this process handed over meanwhile, instead of one round trip per consumer save.
    /// Call it only after the effects are persisted. If the process dies before the flush, the entries
    /// stay pending and come back; consumers ignore them by position and acknowledge them again.
    /// </summary>
    public void Acknowledge(StreamId streamId, IReadOnlyList<RedisEntryId> entryIds)
    {
        ArgumentNullException.ThrowIfNull(entryIds);
        if (entryIds.Count == 0)
        {
            return;
        }

        var queue = _toAcknowledge[_keys.PartitionOf(streamId)];
        for (var i = 0; i < entryIds.Count; i++)
        {
            queue.Enqueue(entryIds[i].ToString());
        }

        Interlocked.Add(ref _queued, entryIds.Count);
        if (_flushLoop is null)
        {
            lock (_toAcknowledge)
            {
                _flushLoop ??= Task.Run(FlushLoopAsync);
            }
        }
    }

    private async Task FlushLoopAsync()
    {
        using var timer = new PeriodicTimer(_flushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sends every queued acknowledgement now; what Redis does not take stays queued for the next flush.</summary>
    public async Task FlushAsync()
    {
        IDatabase database;
        try
        {
            database = await _connection.GetDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogFlushFailed(ex, _providerName, _queued);
            return;
        }

        for (var p = 0; p < _toAcknowledge.Length; p++)
        {
            var queue = _toAcknowledge[p];
            if (queue.IsEmpty)
            {
                continue;
            }

            var ids = new List<RedisValue>(queue.Count);
            while (queue.TryDequeue(out var id))
            {
                ids.Add(id);
            }

            try
            {
                await database.StreamAcknowledgeAsync(_keys.Partition(p), _group, [.. ids]).ConfigureAwait(false);
                Interlocked.Add(ref _queued, -ids.Count);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                foreach (var id in ids)
                {
                    queue.Enqueue(id);
                }

                LogFlushFailed(ex, _providerName, ids.Count);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_flushLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
            await FlushAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <summary>
    /// Acknowledges entries of one stream (<c>XACK</c>): the consumer has persisted their effects, so
    /// no failover needs them again. Acknowledging an entry twice, or one already acknowledged, is harmless.
    /// </summary>
    public async Task<long> AcknowledgeAsync(StreamId streamId, IReadOnlyCollection<RedisEntryId> entryIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entryIds);
        if (entryIds.Count == 0)
        {
            return 0;
        }

        var ids = new RedisValue[entryIds.Count];
        var i = 0;
        foreach (var id in entryIds)
        {
            ids[i++] = id.ToString();
        }

        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await database.StreamAcknowledgeAsync(_keys.Partition(_keys.PartitionOf(streamId)), _group, ids).ConfigureAwait(false);
    }

    /// <summary>The newest entry appended to the stream, or null when it has none (or none since links exist).</summary>
    public async Task<RedisEntryId?> HeadAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var value = await database.HashGetAsync(_keys.Heads(_keys.PartitionOf(streamId)), RedisStreamKeys.HeadField(streamId)).ConfigureAwait(false);
        return RedisStreamCommands.ParsePrevious(value) is { } head && head != RedisEntryId.Zero ? head : null;
    }

    /// <summary>
    /// The entries of <paramref name="streamId"/> after <paramref name="lastApplied"/> up to and including
    /// <paramref name="newest"/>, oldest first, read by following each entry's link to the previous one.
    /// </summary>
    public async Task<RedisStreamGap> ReadMissingAsync(StreamId streamId, RedisEntryId newest, RedisEntryId lastApplied, CancellationToken cancellationToken = default)
    {
        var partition = _keys.PartitionOf(streamId);
        var key = _keys.Partition(partition);
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var newestFirst = new List<RedisStreamLoggedEntry>();
        var from = newest.ToString();
        var end = RedisStreamGapEnd.Complete;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var reply = await database.ScriptEvaluateAsync(WalkScript, [key], [from, lastApplied.ToString(), WalkPageSize]).ConfigureAwait(false);
            var status = reply[0].ToString();
            var entries = reply[1];
            for (var i = 0; i < entries.Length; i++)
            {
                if (Decode(streamId, entries[i]) is { } entry)
                {
                    newestFirst.Add(entry);
                }
            }

            if (status == "more")
            {
                from = reply[2].ToString();
                continue;
            }

            end = status switch
            {
                "missing" => RedisStreamGapEnd.Trimmed,
                "unlinked" => RedisStreamGapEnd.Unlinked,
                _ => RedisStreamGapEnd.Complete,
            };
            break;
        }

        if (end == RedisStreamGapEnd.Trimmed)
        {
            LogGapTrimmed(_providerName, partition, _describe(streamId), lastApplied.ToString());
        }

        newestFirst.Reverse();
        return new RedisStreamGap(newestFirst, end);
    }

    private RedisStreamLoggedEntry? Decode(StreamId streamId, RedisResult raw)
    {
        var id = raw[0].ToString();
        var rawFields = raw[1];
        var fields = new NameValueEntry[rawFields.Length / 2];
        for (var f = 0; f < fields.Length; f++)
        {
            fields[f] = new NameValueEntry((RedisValue)rawFields[2 * f], (RedisValue)rawFields[(2 * f) + 1]);
        }

        if (!RedisEntryId.TryParse(id, out var entryId) || !_codec.TryDecode(fields, out var payload, out var previous, out var error))
        {
            // The receiver dead-letters such entries; a consumer cannot apply them either.
            LogUndecodable(_providerName, id, _describe(streamId));
            return null;
        }

        return payload!.StreamId == streamId ? new RedisStreamLoggedEntry(entryId, previous, payload.Events) : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider}: acknowledging {Count} entries failed; retried with the next flush (until then they stay pending, which is safe).")]
    private partial void LogFlushFailed(Exception exception, string provider, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: entries of {StreamId} after {LastApplied} were trimmed before the consumer applied them; they are lost.")]
    private partial void LogGapTrimmed(string provider, int partition, string streamId, string lastApplied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider}: entry {EntryId} of {StreamId} cannot be decoded; skipped while catching up.")]
    private partial void LogUndecodable(string provider, string entryId, string streamId);
}
