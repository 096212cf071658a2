using System.Globalization;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// What an operator needs to see of the provider's partitions: which of them this process reads (its receivers
/// report taking and losing a partition's lease here) and, read on request, each partition's appended, delivered,
/// pending and acknowledged entries and its lag.
/// </summary>
/// <remarks>
/// <para>Nothing here runs per event: a receiver adds its hand-out count once per read batch (one interlocked add),
/// and the Redis numbers are read only when someone asks, one script per partition. The script reads the stream's
/// and the group's own counters (<c>XINFO STREAM</c>, <c>XINFO GROUPS</c>, <c>XPENDING</c> summary), so the cost does
/// not grow with the backlog — except when Redis cannot tell the group's lag (entries deleted inside the unread
/// range), when it counts at most <see cref="LagCountCap"/> entries and says so.</para>
/// <para>Resolve it with <c>GetRequiredKeyedService&lt;RedisStreamPartitionMonitor&gt;(providerName)</c>.</para>
/// </remarks>
public sealed class RedisStreamPartitionMonitor
{
    /// <summary>At most this many entries are counted when Redis cannot report the lag itself.</summary>
    public const int LagCountCap = 10_000;

    // Returns {time s, time µs, lease holder, exists} and, when the stream exists, {length, last id, entries-added,
    // group found} and, when our group exists, {last delivered, entries-read, lag, lag capped, pending, oldest pending,
    // oldest undelivered}. Empty strings stand for "unknown" so nulls never truncate the reply.
    private const string StatsScript = """
        local function field(flat, name)
          for i = 1, #flat, 2 do
            if flat[i] == name then return flat[i + 1] end
          end
          return false
        end
        local function text(v)
          if v == false or v == nil then return '' end
          return tostring(v)
        end
        local t = redis.call('TIME')
        local out = {t[1], t[2], text(redis.call('GET', KEYS[2]))}
        if redis.call('EXISTS', KEYS[1]) == 0 then
          out[4] = '0'
          return out
        end
        out[4] = '1'
        local s = redis.call('XINFO', 'STREAM', KEYS[1])
        out[5] = text(field(s, 'length'))
        out[6] = text(field(s, 'last-generated-id'))
        out[7] = text(field(s, 'entries-added'))
        local g = false
        for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
          if field(group, 'name') == ARGV[1] then g = group end
        end
        if not g then
          out[8] = '0'
          return out
        end
        out[8] = '1'
        local delivered = field(g, 'last-delivered-id')
        local lag = field(g, 'lag')
        local capped = '0'
        if not lag then
          lag = #redis.call('XRANGE', KEYS[1], '(' .. delivered, '+', 'COUNT', ARGV[2])
          if lag >= tonumber(ARGV[2]) then capped = '1' end
        end
        local oldest = ''
        if tonumber(lag) > 0 then
          local r = redis.call('XRANGE', KEYS[1], '(' .. delivered, '+', 'COUNT', 1)
          if #r > 0 then oldest = r[1][1] end
        end
        local p = redis.call('XPENDING', KEYS[1], ARGV[1])
        out[9] = text(delivered)
        out[10] = text(field(g, 'entries-read'))
        out[11] = text(lag)
        out[12] = capped
        out[13] = text(p[1])
        out[14] = text(p[2])
        out[15] = oldest
        return out
        """;

    private readonly RedisStreamKeys _keys;
    private readonly RedisValue _group;
    private readonly RedisStreamConnection _connection;
    private readonly Ownership?[] _owned;

    internal RedisStreamPartitionMonitor(string providerName, RedisStreamOptions options, RedisStreamConnection connection)
    {
        _keys = new RedisStreamKeys(providerName, options);
        _group = options.ConsumerGroup;
        _connection = connection;
        _owned = new Ownership?[_keys.PartitionCount];
    }

    /// <summary>Number of partitions of the provider.</summary>
    public int PartitionCount => _keys.PartitionCount;

    /// <summary>The partitions whose lease a receiver of this process holds (as far as it knows; the read checks Redis).</summary>
    public IReadOnlyList<int> OwnedPartitions()
    {
        var owned = new List<int>();
        for (var p = 0; p < _owned.Length; p++)
        {
            if (Volatile.Read(ref _owned[p]) is not null)
            {
                owned.Add(p);
            }
        }

        return owned;
    }

    /// <summary>Reads every partition this process's receivers hold.</summary>
    public async Task<IReadOnlyList<RedisStreamPartitionStats>> ReadOwnedAsync(CancellationToken cancellationToken)
    {
        var owned = OwnedPartitions();
        var reads = new Task<RedisStreamPartitionStats>[owned.Count];
        for (var i = 0; i < reads.Length; i++)
        {
            reads[i] = ReadAsync(owned[i], cancellationToken);
        }

        return await Task.WhenAll(reads).ConfigureAwait(false);
    }

    /// <summary>Reads one partition's numbers in one script round trip.</summary>
    public async Task<RedisStreamPartitionStats> ReadAsync(int partition, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, _keys.PartitionCount);
        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var reply = (RedisResult[])(await database.ScriptEvaluateAsync(
            StatsScript,
            [_keys.Partition(partition), _keys.Lease(partition)],
            [_group, LagCountCap]).ConfigureAwait(false))!;

        var readAt = DateTimeOffset.FromUnixTimeMilliseconds((Long(reply[0]) * 1000) + (Long(reply[1]) / 1000));
        var holder = Text(reply[2]) is { Length: > 0 } lease ? lease : null;
        var local = Volatile.Read(ref _owned[partition]);
        var ownedHere = local is not null && holder == local.Consumer;
        var since = ownedHere ? local!.Since : (DateTimeOffset?)null;
        var handedOut = ownedHere ? Interlocked.Read(ref local!.HandedOut) : (long?)null;
        if (Text(reply[3]) != "1")
        {
            return new RedisStreamPartitionStats(partition, holder, ownedHere, since, handedOut, 0, null, null, null, null, 0, null, null, null, false, null, readAt);
        }

        var length = Long(reply[4]);
        var lastAppended = Id(reply[5]);
        var appended = NullableLong(reply[6]);
        if (Text(reply[7]) != "1")
        {
            // No consumer group yet (no receiver has started on this partition): everything appended waits.
            return new RedisStreamPartitionStats(partition, holder, ownedHere, since, handedOut, length, appended, lastAppended, null, null, 0, null, null, appended ?? length, appended is null, null, readAt);
        }

        var delivered = NullableLong(reply[9]);
        var pending = Long(reply[12]);
        return new RedisStreamPartitionStats(
            partition,
            holder,
            ownedHere,
            since,
            handedOut,
            length,
            appended,
            lastAppended,
            delivered,
            Id(reply[8]),
            pending,
            Id(reply[13]),
            delivered is { } d ? Math.Max(0, d - pending) : null,
            NullableLong(reply[10]),
            Text(reply[11]) == "1",
            Id(reply[14]),
            readAt);
    }

    internal void Acquired(int partition, string consumer, DateTimeOffset at) =>
        Volatile.Write(ref _owned[partition], new Ownership(consumer, at));

    internal void Released(int partition, string consumer)
    {
        var current = Volatile.Read(ref _owned[partition]);
        if (current is not null && current.Consumer == consumer)
        {
            // Only our own entry: a newer receiver of the same partition may already have taken over.
            Interlocked.CompareExchange(ref _owned[partition], null, current);
        }
    }

    internal void HandedOut(int partition, string consumer, int count)
    {
        if (Volatile.Read(ref _owned[partition]) is { } current && current.Consumer == consumer)
        {
            Interlocked.Add(ref current.HandedOut, count);
        }
    }

    private static string Text(RedisResult value) => value.IsNull ? string.Empty : value.ToString() ?? string.Empty;

    private static long Long(RedisResult value) => long.Parse(Text(value), NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static long? NullableLong(RedisResult value) =>
        long.TryParse(Text(value), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;

    // "0-0" is what Redis reports before anything was appended or delivered: no id.
    private static RedisEntryId? Id(RedisResult value) =>
        RedisEntryId.TryParse(Text(value), out var id) && id != RedisEntryId.Zero ? id : null;

    private sealed class Ownership(string consumer, DateTimeOffset since)
    {
        public long HandedOut;

        public string Consumer { get; } = consumer;

        public DateTimeOffset Since { get; } = since;
    }
}
