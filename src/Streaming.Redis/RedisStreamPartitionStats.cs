namespace Cohortly.Streaming.Redis;

/// <summary>
/// One partition of the provider as an operator reads it, taken in one atomic script on Redis (so the counts agree
/// with each other) plus what the reading process knows locally when it holds the partition's lease.
/// </summary>
/// <remarks>
/// Counts are entries (one entry = one producer batch of one stream), not events. <see cref="Appended"/> and
/// <see cref="Delivered"/> are Redis' own counters of the stream and of the consumer group (Redis 7: <c>entries-added</c>
/// and <c>entries-read</c>), so they survive failovers and count every producer; they are null on older servers.
/// <see cref="Acknowledged"/> is delivered minus pending: entries handed out and no longer pending were acknowledged
/// (by the consumer after its save, by the dead-letter path, or by an erasure).
/// </remarks>
/// <param name="Partition">Partition number.</param>
/// <param name="LeaseHolder">Consumer name holding the partition's lease (the reading agent), or null when nobody holds it.</param>
/// <param name="OwnedHere">True when the process that read these numbers holds the lease.</param>
/// <param name="OwnedSince">When this process took the lease (null when it does not hold it).</param>
/// <param name="HandedOutByOwner">Entries this process's receiver handed to its pulling agent since it took the lease (null when not the owner).</param>
/// <param name="Length">Entries in the stream now (after retention trimming).</param>
/// <param name="Appended">Entries ever appended to the partition (null before Redis 7).</param>
/// <param name="LastAppendedId">Id of the newest appended entry (null when nothing was ever appended).</param>
/// <param name="Delivered">Entries the consumer group has read (null before the group exists, before Redis 7, or when Redis cannot tell after deletions).</param>
/// <param name="LastDeliveredId">Id of the newest entry delivered to the group (null before the group exists).</param>
/// <param name="Pending">Entries delivered and not yet acknowledged (XPENDING).</param>
/// <param name="OldestPendingId">Lowest pending id (null when nothing is pending).</param>
/// <param name="Acknowledged">Delivered minus pending (null when delivered is unknown).</param>
/// <param name="Lag">Entries after the last delivered id up to the last appended one (null when unknown).</param>
/// <param name="LagCapped">True when Redis could not tell the lag and it was counted up to a cap: the lag is at least <see cref="Lag"/>.</param>
/// <param name="OldestUndeliveredId">The first entry after the last delivered one (null when the lag is 0).</param>
/// <param name="ReadAt">Redis' clock at the read; entry ids carry the same clock, so the ages below need no clock agreement.</param>
public sealed record RedisStreamPartitionStats(
    int Partition,
    string? LeaseHolder,
    bool OwnedHere,
    DateTimeOffset? OwnedSince,
    long? HandedOutByOwner,
    long Length,
    long? Appended,
    RedisEntryId? LastAppendedId,
    long? Delivered,
    RedisEntryId? LastDeliveredId,
    long Pending,
    RedisEntryId? OldestPendingId,
    long? Acknowledged,
    long? Lag,
    bool LagCapped,
    RedisEntryId? OldestUndeliveredId,
    DateTimeOffset ReadAt)
{
    /// <summary>How long the oldest entry not yet delivered has waited since it was appended (zero without lag).</summary>
    public TimeSpan LagAge => OldestUndeliveredId is { } id ? Age(id) : TimeSpan.Zero;

    /// <summary>How long the oldest pending entry has existed since it was appended (zero when nothing is pending).</summary>
    public TimeSpan OldestPendingAge => OldestPendingId is { } id ? Age(id) : TimeSpan.Zero;

    private TimeSpan Age(RedisEntryId id)
    {
        var age = ReadAt - id.Timestamp;
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }
}
