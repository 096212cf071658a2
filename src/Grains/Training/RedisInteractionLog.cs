using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;
using Cohortly.Modeling.Users;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Cohortly.Grains.Training;

/// <summary>
/// Cluster-mode log: the Redis interaction streams are the durable record (the gateway answers 202 only after
/// XADD, and stream retention is Cohortly:Streams:Retention), so appending events is a no-op. Attributes
/// live in one Redis hash, user id → JSON, which keeps only the latest per user by construction.
/// </summary>
public sealed class RedisInteractionLog(CohortlyRedis redis, IServiceProvider services) : IInteractionLog, IUserDataLog
{
    private RedisStreamEventLogReader? _reader;
    private RedisStreamCheckpoint? _checkpoint;

    /// <summary>Resolved on first use, like the reader: only where the Redis stream provider is registered.</summary>
    private RedisStreamCheckpoint Checkpoint => _checkpoint ??= services.GetRequiredKeyedService<RedisStreamCheckpoint>(StreamNames.Provider);

    private string AttributesKey => redis.Prefix + "attributes";

    /// <summary>Set of the users who withheld consent to personalization: training reads none of their records.</summary>
    private string WithheldKey => redis.Prefix + "withheld";

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
        var db = await redis.DatabaseAsync(cancellationToken);
        var withheld = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in await db.SetMembersAsync(WithheldKey).WaitAsync(cancellationToken))
        {
            withheld.Add(id.ToString());
        }

        var events = new List<Interaction>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ids = new IdPool();
        await foreach (var entry in reader.ReadAsync(from: since, streamNamespace: StreamNames.Interactions, cancellationToken: cancellationToken))
        {
            if (entry.Event is InteractionEvent e && (withheld.Count == 0 || !withheld.Contains(e.UserId)) && seen.Add(e.EventId))
            {
                events.Add(ids.Share(e.ToInteraction()));
            }
        }

        var attributes = new List<UserAttributes>();
        foreach (var field in await db.HashGetAllAsync(AttributesKey).WaitAsync(cancellationToken))
        {
            if (!withheld.Contains(field.Name.ToString()) && JsonSerializer.Deserialize<Dictionary<string, string>>(field.Value.ToString()) is { } values)
            {
                attributes.Add(new UserAttributes(field.Name.ToString(), values));
            }
        }

        attributes.Sort(static (a, b) => string.CompareOrdinal(a.UserId, b.UserId));
        return new InteractionLogSnapshot(events, attributes);
    }

    /// <summary>The user's stream read back along its links from its head (every retained entry of the user).</summary>
    public async Task<UserLogRecords> ReadUserAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var stream = StreamId.Create(StreamNames.Interactions, userId);
        var events = new List<InteractionEvent>();
        if (await Checkpoint.HeadAsync(stream, cancellationToken) is { } head)
        {
            var entries = await Checkpoint.ReadMissingAsync(stream, head, RedisEntryId.Zero, cancellationToken);
            foreach (var entry in entries.Entries)
            {
                foreach (var e in entry.Events)
                {
                    if (e is InteractionEvent interaction)
                    {
                        events.Add(interaction);
                    }
                }
            }
        }

        var db = await redis.DatabaseAsync(cancellationToken);
        var stored = await db.HashGetAsync(AttributesKey, userId).WaitAsync(cancellationToken);
        var attributes = stored.IsNullOrEmpty ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(stored.ToString());
        return new UserLogRecords(events, attributes);
    }

    /// <summary>
    /// Deletes the user's stream entries (<c>XDEL</c> along the links, acknowledged first, the head forgotten) and their
    /// attributes field. The stream's head at that moment is the cut the user grain keeps.
    /// </summary>
    public async Task<LogErasure> EraseUserAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var erased = await Checkpoint.EraseAsync(StreamId.Create(StreamNames.Interactions, userId), cancellationToken);
        var db = await redis.DatabaseAsync(cancellationToken);
        var attributes = await db.HashDeleteAsync(AttributesKey, userId).WaitAsync(cancellationToken) ? 1 : 0;
        // The whole entry is gone, so every event index in it is at or below the cut.
        LogPosition? watermark = erased.Head is { } head ? new LogPosition(head.Milliseconds, head.Sequence, int.MaxValue) : null;
        return new LogErasure(erased.Events, attributes, null, watermark);
    }

    /// <summary>
    /// Withheld users' entries stay in the streams until retention trims them (they are the delivery queue to the user
    /// grain, which applies none of them to a profile); training leaves them out by this set.
    /// </summary>
    public async Task SetWithheldAsync(string userId, bool withheld, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var db = await redis.DatabaseAsync(cancellationToken);
        await (withheld ? db.SetAddAsync(WithheldKey, userId) : db.SetRemoveAsync(WithheldKey, userId)).WaitAsync(cancellationToken);
    }

    /// <summary>Trims every partition to <c>Cohortly:Streams:Retention</c> exactly (appends trim only approximately).</summary>
    public Task<long> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        var retention = services.GetRequiredService<IOptions<CohortlyOptions>>().Value.Streams.Retention;
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        return Checkpoint.TrimBeforeAsync(time.GetUtcNow() - retention, cancellationToken);
    }
}
