using System.Diagnostics.CodeAnalysis;
using Orleans.Streams;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Sequence token of the Redis stream provider: the Redis entry id plus the event's index inside
/// the entry. Ordering and equality use the exact id, never the lossy <see cref="SequenceNumber"/>.
/// </summary>
/// <remarks>
/// Consumers should read <see cref="Position"/> (or call <see cref="TryGetPosition"/> on the
/// token handed to <c>OnNextAsync</c>) and persist that; see <see cref="RedisStreamPosition"/>.
/// </remarks>
[GenerateSerializer]
[Immutable]
[Alias("cohortly.streaming.redis.token")]
public sealed class RedisStreamSequenceToken : StreamSequenceToken
{
    // Orleans' base class wants a single long. 20 bits of the Redis per-millisecond sequence fit
    // next to the millisecond clock until the year 2248; a larger sequence (only after a big
    // backwards clock jump) saturates, which is why comparisons never use this number.
    private const int SequenceBits = 20;
    private const ulong SequenceMask = (1UL << SequenceBits) - 1;

    [Id(0)]
    private readonly RedisEntryId _entryId;

    [Id(1)]
    private readonly int _eventIndex;

    [Id(2)]
    private readonly RedisEntryId? _previousEntryId;

    public RedisStreamSequenceToken(RedisEntryId entryId, int eventIndex = 0, RedisEntryId? previousEntryId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eventIndex);
        _entryId = entryId;
        _eventIndex = eventIndex;
        _previousEntryId = previousEntryId;
    }

    /// <summary>
    /// The entry of the same stream appended just before this one: <see cref="RedisEntryId.Zero"/> when
    /// this is the stream's first entry, null when unknown (an entry written before entries were linked).
    /// A consumer whose last applied entry is older than this has missed entries and can read them
    /// back with <see cref="RedisStreamCheckpoint.ReadMissingAsync"/>.
    /// </summary>
    public RedisEntryId? PreviousEntryId => _previousEntryId;

    /// <summary>The Redis entry id of the entry that carried the event.</summary>
    public RedisEntryId EntryId => _entryId;

    /// <summary>Exact, comparable position of the event; persist this to deduplicate.</summary>
    public RedisStreamPosition Position => new(_entryId, _eventIndex);

    /// <summary>
    /// Lossy projection of the entry id for Orleans internals and diagnostics:
    /// <c>milliseconds &lt;&lt; 20 | min(sequence, 2^20 - 1)</c>. Do not persist or compare it.
    /// </summary>
    public override long SequenceNumber
    {
        get => unchecked((long)((_entryId.Milliseconds << SequenceBits) | Math.Min(_entryId.Sequence, SequenceMask)));
        protected set => throw new NotSupportedException("Redis stream tokens are immutable.");
    }

    /// <summary>Index of the event inside its Redis entry.</summary>
    public override int EventIndex
    {
        get => _eventIndex;
        protected set => throw new NotSupportedException("Redis stream tokens are immutable.");
    }

    /// <summary>
    /// Extracts the Redis position from a token delivered to a consumer. Returns false for tokens of
    /// other providers (the embedded mode runs on memory streams), so one consumer works with both.
    /// </summary>
    public static bool TryGetPosition([NotNullWhen(true)] StreamSequenceToken? token, out RedisStreamPosition position)
    {
        if (token is RedisStreamSequenceToken redis)
        {
            position = redis.Position;
            return true;
        }

        position = default;
        return false;
    }

    /// <summary>
    /// For a consumer whose last applied event is <paramref name="lastApplied"/>: the newest entry of this
    /// stream it has missed before this event, or null when it missed none (or nothing can be told,
    /// for an unlinked entry). Read the missed entries with <see cref="RedisStreamCheckpoint.ReadMissingAsync"/>.
    /// </summary>
    /// <remarks>
    /// A consumer misses entries when it applied some in memory, died before saving, and its next
    /// activation hears of newer entries first. Entry links make the gap visible at the first event.
    /// </remarks>
    public RedisEntryId? MissedSince(RedisStreamPosition lastApplied)
    {
        if (_entryId <= lastApplied.EntryId)
        {
            return null;
        }

        if (_eventIndex > 0)
        {
            return _entryId; // the start of this very entry
        }

        return _previousEntryId is { } previous && previous > lastApplied.EntryId ? previous : null;
    }

    /// <summary>The token of the event at <paramref name="eventIndex"/> of the same entry.</summary>
    public RedisStreamSequenceToken ForEvent(int eventIndex) =>
        eventIndex == _eventIndex ? this : new RedisStreamSequenceToken(_entryId, eventIndex, _previousEntryId);

    public override int CompareTo(StreamSequenceToken? other) => other switch
    {
        null => 1,
        RedisStreamSequenceToken redis => Position.CompareTo(redis.Position),
        // Orleans recognises this exception (parameter "other") as "incompatible token".
        _ => throw new ArgumentOutOfRangeException(
            nameof(other),
            $"A {nameof(RedisStreamSequenceToken)} cannot be compared with a {other.GetType().Name}."),
    };

    public override bool Equals(StreamSequenceToken? other) =>
        other is RedisStreamSequenceToken redis && redis._entryId == _entryId && redis._eventIndex == _eventIndex;

    public override bool Equals(object? obj) => obj is StreamSequenceToken token && Equals(token);

    public override int GetHashCode() => HashCode.Combine(_entryId, _eventIndex);

    public override string ToString() => Position.ToString();
}
