using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace Cohortly.Grains.Training;

/// <summary>
/// Cluster-mode log: the Redis interaction streams are the durable record (the gateway answers 202 only after
/// XADD, and stream retention is Cohortly:Streams:Retention), so appending events is a no-op. Attributes
/// live in one Redis hash, user id → JSON, which keeps only the latest per user by construction.
/// </summary>
public sealed class RedisInteractionLog(CohortlyRedis redis, IServiceProvider services) : IInteractionLog
{
    private RedisStreamEventLogReader? _reader;

    private string AttributesKey => redis.Prefix + "attributes";

    public Task AppendAsync(IReadOnlyList<InteractionEvent> events, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task AppendAttributesAsync(string userId, IReadOnlyDictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(attributes);
        var db = await redis.DatabaseAsync(cancellationToken);
        await db.HashSetAsync(AttributesKey, userId, JsonSerializer.Serialize(attributes)).WaitAsync(cancellationToken);
    }

    public async Task<InteractionLogSnapshot> ReadAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        // Resolved on first use: only silos and clients that registered the Redis stream provider have it.
        var reader = _reader ??= services.GetRequiredKeyedService<RedisStreamEventLogReader>(StreamNames.Provider);
        var events = new List<Interaction>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in reader.ReadAsync(from: since, streamNamespace: StreamNames.Interactions, cancellationToken: cancellationToken))
        {
            if (entry.Event is InteractionEvent e && seen.Add(e.EventId))
            {
                events.Add(e.ToInteraction());
            }
        }

        var db = await redis.DatabaseAsync(cancellationToken);
        var attributes = new List<UserAttributes>();
        foreach (var field in await db.HashGetAllAsync(AttributesKey).WaitAsync(cancellationToken))
        {
            if (JsonSerializer.Deserialize<Dictionary<string, string>>(field.Value.ToString()) is { } values)
            {
                attributes.Add(new UserAttributes(field.Name.ToString(), values));
            }
        }

        attributes.Sort(static (a, b) => string.CompareOrdinal(a.UserId, b.UserId));
        return new InteractionLogSnapshot(events, attributes);
    }
}
