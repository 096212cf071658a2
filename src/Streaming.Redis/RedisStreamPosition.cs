using System.Globalization;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// The exact position of one event: the Redis entry that carried it and its index inside that
/// entry (one <c>OnNextBatchAsync</c> call becomes one entry).
/// </summary>
/// <remarks>
/// <para>Positions of one Orleans stream grow strictly in delivery order. Redelivery after a
/// failover repeats positions and never skips one, so a consumer that persists the last applied
/// position and ignores anything at or below it applies every event exactly once:</para>
/// <code>
/// if (RedisStreamSequenceToken.TryGetPosition(token, out var position))
/// {
///     if (position &lt;= state.LastApplied) return;   // duplicate from a redelivery
///     Apply(item);
///     state.LastApplied = position;                 // persisted with the rest of the state
/// }
/// </code>
/// <para><c>default</c> sorts before every real event, so a fresh state needs no special case.</para>
/// </remarks>
[GenerateSerializer]
[Immutable]
[Alias("cohortly.streaming.redis.position")]
public readonly record struct RedisStreamPosition(
    [property: Id(0)] RedisEntryId EntryId,
    [property: Id(1)] int EventIndex) : IComparable<RedisStreamPosition>
{
    public int CompareTo(RedisStreamPosition other)
    {
        var byEntry = EntryId.CompareTo(other.EntryId);
        return byEntry != 0 ? byEntry : EventIndex.CompareTo(other.EventIndex);
    }

    /// <summary>True when this position comes strictly after <paramref name="lastApplied"/>.</summary>
    public bool IsAfter(RedisStreamPosition lastApplied) => CompareTo(lastApplied) > 0;

    public static bool operator <(RedisStreamPosition left, RedisStreamPosition right) => left.CompareTo(right) < 0;

    public static bool operator >(RedisStreamPosition left, RedisStreamPosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(RedisStreamPosition left, RedisStreamPosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(RedisStreamPosition left, RedisStreamPosition right) => left.CompareTo(right) >= 0;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{EntryId}#{EventIndex}");
}
