using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>What <see cref="RedisStreamCheckpoint.EraseAsync"/> removed of one stream.</summary>
/// <param name="Entries">Log entries deleted (<c>XDEL</c>).</param>
/// <param name="Events">Events those entries carried (entries that could not be decoded count none).</param>
/// <param name="Head">
/// The stream's newest entry when the erasure started, or null when the stream had none. Every entry of the stream at
/// or below it is gone; an entry appended afterwards starts a new chain (its <c>prev</c> is empty) above it.
/// </param>
public sealed record RedisStreamErasure(long Entries, long Events, RedisEntryId? Head);

/// <summary>Erasing one stream's entries and trimming the log by time.</summary>
public sealed partial class RedisStreamCheckpoint
{
    // KEYS[1] partition, KEYS[2] its heads hash. ARGV[1] the entry to start from ('' = take the stream's head and
    // forget it, so an append after this call starts a new chain), ARGV[2] the stream's field in the heads hash,
    // ARGV[3] the consumer group, ARGV[4] the page size. Walks back along 'prev' deleting each entry (after
    // acknowledging it, so the pending list keeps no id that points nowhere). Returns {status, entries, next, head}.
    private const string EraseScript = """
        local id = ARGV[1]
        local head = ''
        if id == '' then
          local h = redis.call('HGET', KEYS[2], ARGV[2])
          if not h then return {'start', {}, '', ''} end
          redis.call('HDEL', KEYS[2], ARGV[2])
          id = h
          head = h
        end
        local out = {}
        local max = tonumber(ARGV[4])
        while #out < max do
          if id == '' then return {'start', out, '', head} end
          local r = redis.call('XRANGE', KEYS[1], id, id)
          if #r == 0 then return {'missing', out, '', head} end
          out[#out + 1] = r[1]
          redis.pcall('XACK', KEYS[1], ARGV[3], id)
          redis.call('XDEL', KEYS[1], id)
          local prev = nil
          local f = r[1][2]
          for j = 1, #f, 2 do
            if f[j] == 'prev' then prev = f[j + 1] end
          end
          if prev == nil then return {'unlinked', out, '', head} end
          id = prev
        end
        return {'more', out, id, head}
        """;

    // KEYS[1] a heads hash; ARGV field/value pairs: forgets each field whose value is still the one read (an append
    // since moved it, so the stream is alive again and keeps its head).
    private const string ForgetHeadsScript = """
        local n = 0
        for i = 1, #ARGV, 2 do
          if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
            redis.call('HDEL', KEYS[1], ARGV[i])
            n = n + 1
          end
        end
        return n
        """;

    /// <summary>
    /// Deletes every retained entry of <paramref name="streamId"/> (following the links back from its head) and forgets
    /// its head, so nothing can read the stream's past back: not the log reader, not a consumer catching up. Entries
    /// appended while or after this runs start a new chain. Entries written before links existed are not found.
    /// Idempotent: a second call finds no head and removes nothing.
    /// </summary>
    public async Task<RedisStreamErasure> EraseAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        var partition = _keys.PartitionOf(streamId);
        RedisKey[] keys = [_keys.Partition(partition), _keys.Heads(partition)];
        var field = RedisStreamKeys.HeadField(streamId);
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var from = string.Empty;
        RedisEntryId? head = null;
        long entries = 0, events = 0;
        while (true)
        {
            // Not cancelled between pages: the head is already forgotten, so a half-done erasure could not be resumed.
            var reply = await database.ScriptEvaluateAsync(EraseScript, keys, [from, field, _group, WalkPageSize]).ConfigureAwait(false);
            if (head is null && RedisEntryId.TryParse(reply[3].ToString(), out var h))
            {
                head = h;
            }

            var page = reply[1];
            entries += page.Length;
            for (var i = 0; i < page.Length; i++)
            {
                if (Decode(streamId, page[i]) is { } entry)
                {
                    events += entry.Events.Count;
                }
            }

            if (reply[0].ToString() != "more")
            {
                break;
            }

            from = reply[2].ToString();
        }

        LogErased(_providerName, partition, _describe(streamId), entries);
        return new RedisStreamErasure(entries, events, head);
    }

    /// <summary>
    /// Removes every entry Redis accepted before <paramref name="before"/> from every partition (exact <c>XTRIM
    /// MINID</c>, unlike the approximate trimming on append, which keeps whole internal nodes and trims a partition
    /// only when something is appended to it), and forgets the heads of streams whose newest entry went with them.
    /// Returns the entries removed.
    /// </summary>
    public async Task<long> TrimBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        var minId = RedisEntryId.AtOrAfter(before);
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        long removed = 0;
        for (var p = 0; p < _keys.PartitionCount; p++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await database.ExecuteAsync("XTRIM", _keys.Partition(p), "MINID", minId.ToString()).ConfigureAwait(false);
            removed += (long)result;
            var stale = new List<RedisValue>();
            await foreach (var head in database.HashScanAsync(_keys.Heads(p), pageSize: 500).ConfigureAwait(false))
            {
                if (RedisEntryId.TryParse(head.Value.ToString(), out var id) && id < minId)
                {
                    stale.Add(head.Name);
                    stale.Add(head.Value);
                }
            }

            for (var i = 0; i < stale.Count; i += 512)
            {
                await database.ScriptEvaluateAsync(ForgetHeadsScript, [_keys.Heads(p)], [.. stale.Skip(i).Take(512)]).ConfigureAwait(false);
            }
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream provider {Provider} partition {Partition}: erased {Entries} entries of {StreamId}.")]
    private partial void LogErased(string provider, int partition, string streamId, long entries);
}
