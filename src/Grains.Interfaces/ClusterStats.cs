namespace Cohortly.Contracts;

/// <summary>
/// One partition of the interactions stream (cluster mode) as its reader measured it. Counts are stream entries (one
/// entry = one user's batch from one request), not events. See docs/operations.md, "Reading stream lag".
/// </summary>
/// <param name="Partition">Partition number.</param>
/// <param name="OwnerSilo">The silo whose pulling agent holds the partition's lease and reported it; null when no live silo does.</param>
/// <param name="LeaseHolder">The Redis consumer name holding the lease (null: nobody; set without an owner silo: a process that died and whose lease has not expired).</param>
/// <param name="Length">Entries kept in the stream now (after retention).</param>
/// <param name="Appended">Entries ever appended (Redis' counter; null when unknown).</param>
/// <param name="Delivered">Entries the consumer group has read (null when unknown).</param>
/// <param name="Acknowledged">Delivered entries no longer pending (null when unknown).</param>
/// <param name="Pending">Delivered and not yet acknowledged: applied or being applied, not yet saved by their user grains.</param>
/// <param name="OldestPendingAgeSeconds">Age of the oldest pending entry since it was appended (0 when nothing is pending).</param>
/// <param name="Lag">Entries appended after the last delivered one (null when unknown).</param>
/// <param name="LagCapped">The lag was counted up to a cap: it is at least <see cref="Lag"/>.</param>
/// <param name="LagAgeSeconds">Age of the oldest entry not yet delivered (0 without lag).</param>
/// <param name="LastAppendedId">Newest appended entry id.</param>
/// <param name="LastDeliveredId">Newest delivered entry id.</param>
/// <param name="HandedOutByOwner">Entries the owner's receiver handed to its pulling agent since it took the lease.</param>
/// <param name="OwnedSince">When the owner took the lease.</param>
/// <param name="ReadAt">Redis' clock at the read.</param>
[GenerateSerializer, Immutable, Alias("cohortly.PartitionLag")]
public sealed record PartitionLag(
    [property: Id(0)] int Partition,
    [property: Id(1)] string? OwnerSilo,
    [property: Id(2)] string? LeaseHolder,
    [property: Id(3)] long Length,
    [property: Id(4)] long? Appended,
    [property: Id(5)] long? Delivered,
    [property: Id(6)] long? Acknowledged,
    [property: Id(7)] long Pending,
    [property: Id(8)] double OldestPendingAgeSeconds,
    [property: Id(9)] long? Lag,
    [property: Id(10)] bool LagCapped,
    [property: Id(11)] double LagAgeSeconds,
    [property: Id(12)] string? LastAppendedId,
    [property: Id(13)] string? LastDeliveredId,
    [property: Id(14)] long? HandedOutByOwner,
    [property: Id(15)] DateTimeOffset? OwnedSince,
    [property: Id(16)] DateTimeOffset ReadAt);

/// <summary>
/// What one silo measured: events its user grains applied since it started and, in cluster mode, the partitions its
/// pulling agents hold; in embedded mode, the in-memory stream's backlog instead (published to the memory stream by the
/// embedded sink and not yet applied), which is the embedded equivalent of a partition's lag.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.SiloIngestionStats")]
public sealed record SiloIngestionStats(
    [property: Id(0)] string Silo,
    [property: Id(1)] long EventsApplied,
    [property: Id(2)] long? EmbeddedPublished,
    [property: Id(3)] long? EmbeddedBacklog,
    [property: Id(4)] IReadOnlyList<PartitionLag> Partitions,
    [property: Id(5)] DateTimeOffset ReadAt);

/// <summary>A silo that did not answer the stats call in time, or failed it.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.SiloStatsFailure")]
public sealed record SiloStatsFailure(
    [property: Id(0)] string Silo,
    [property: Id(1)] string Error);

/// <summary>
/// Every silo's report, and every partition of the stream: those a live silo holds as that silo measured them, the
/// others (no owner yet, or an owner that died) read by the silo that gathered the reports. Partitions is empty in
/// embedded mode, which has none.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.ClusterIngestionStats")]
public sealed record ClusterIngestionStats(
    [property: Id(0)] IReadOnlyList<SiloIngestionStats> Silos,
    [property: Id(1)] IReadOnlyList<SiloStatsFailure> Failures,
    [property: Id(2)] IReadOnlyList<PartitionLag> Partitions,
    [property: Id(3)] int PartitionCount)
{
    /// <summary>Why the partitions no live silo reported could not be read (Redis unreachable); they are missing from <see cref="Partitions"/> then.</summary>
    [Id(4)]
    public string? PartitionsError { get; init; }
}

/// <summary>
/// Gathers <see cref="SiloIngestionStats"/> from the given silos (one call each to the silo's stats service, in
/// parallel, bounded by a timeout) for the operators' panel. A stateless worker: it keeps nothing, and is asked only
/// when an admin reads <c>GET /v1/admin/cluster</c>, never per event.
/// </summary>
[Alias("cohortly.IClusterStatsGrain")]
public interface IClusterStatsGrain : IGrainWithIntegerKey
{
    [Alias("Read")]
    Task<ClusterIngestionStats> Read(SiloAddress[] silos);
}
