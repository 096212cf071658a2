using System.Text.Json;
using Cohortly.Grains.Training;
using StackExchange.Redis;

namespace Cohortly.Grains.Audit;

/// <summary>
/// Cluster-mode audit trail: one Redis stream, <c>cohortly:{ServiceId}:audit</c>, appended with XADD (approximate
/// MAXLEN <see cref="MaxEntries"/>, so the oldest entries go first once it is reached; Redis' own persistence
/// — AOF with fsync — makes it durable). Ids are the stream ids; a page is read newest first with XREVRANGE.
/// </summary>
public sealed class RedisAuditLog(CohortlyRedis redis) : IAuditLog
{
    /// <summary>Approximate bound on the stream (about 300 bytes an entry: ~300 MB at the bound).</summary>
    public const int MaxEntries = 1_000_000;

    private const int Batch = 256;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private RedisKey Key => redis.Prefix + "audit";

    public async Task<string> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var db = await redis.DatabaseAsync(cancellationToken);
        var id = await db.StreamAddAsync(Key, "e", JsonSerializer.Serialize(entry with { Id = "" }, Json), maxLength: MaxEntries, useApproximateMaxLength: true)
            .WaitAsync(cancellationToken);
        return id.ToString();
    }

    public async Task<AuditPage> ReadAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Before is not null && !IsStreamId(query.Before))
        {
            throw new ArgumentException($"'{query.Before}' is not a cursor of this audit log.", nameof(query));
        }

        var db = await redis.DatabaseAsync(cancellationToken);
        var entries = new List<AuditEntry>(Math.Min(query.Limit, 1024));
        // Exclusive upper bound "(id" needs Redis 6.2.
        RedisValue max = query.Before is null ? "+" : "(" + query.Before;
        while (true)
        {
            var batch = await db.StreamRangeAsync(Key, minId: "-", maxId: max, count: Batch, messageOrder: Order.Descending).WaitAsync(cancellationToken);
            foreach (var item in batch)
            {
                var entry = Parse(item);
                if (entry is null || !query.Matches(entry))
                {
                    continue;
                }

                if (entries.Count == query.Limit)
                {
                    return new AuditPage(entries, entries[^1].Id);
                }

                entries.Add(entry);
            }

            if (batch.Length < Batch)
            {
                return new AuditPage(entries, null);
            }

            max = "(" + batch[^1].Id;
        }
    }

    private static AuditEntry? Parse(StreamEntry item)
    {
        var json = item["e"];
        if (json.IsNullOrEmpty)
        {
            return null;
        }

        return JsonSerializer.Deserialize<AuditEntry>(json.ToString(), Json) is { } entry ? entry with { Id = item.Id.ToString() } : null;
    }

    private static bool IsStreamId(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && dash < id.Length - 1 && ulong.TryParse(id.AsSpan(0, dash), out _) && ulong.TryParse(id.AsSpan(dash + 1), out _);
    }
}
