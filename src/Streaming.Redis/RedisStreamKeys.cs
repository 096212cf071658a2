using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Streams;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Key names and the stream-to-partition map of one provider. Silos and pure clients build the
/// same map from the provider name and <see cref="RedisStreamOptions.PartitionCount"/>, so a
/// producer and the partition's reader always agree.
/// </summary>
internal sealed class RedisStreamKeys
{
    private readonly RedisKey[] _partitions;
    private readonly RedisKey[] _leases;
    private readonly RedisKey[] _heads;

    public RedisStreamKeys(string providerName, RedisStreamOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(providerName);
        ArgumentNullException.ThrowIfNull(options);

        Prefix = options.KeyPrefix ?? $"cohortly:stream:{providerName}";
        PartitionCount = options.PartitionCount;

        // Orleans' hash ring over StreamId's stable hash: deterministic across processes, and the
        // queue balancer already knows how to spread these queue ids over silos.
        Mapper = new HashRingBasedStreamQueueMapper(
            new HashRingStreamQueueMapperOptions { TotalQueueCount = options.PartitionCount },
            providerName);

        _partitions = new RedisKey[options.PartitionCount];
        _leases = new RedisKey[options.PartitionCount];
        _heads = new RedisKey[options.PartitionCount];
        for (var p = 0; p < options.PartitionCount; p++)
        {
            // The hash tag keeps a partition's stream and its lease in one Redis Cluster slot, which
            // the lease-checked read script needs; different partitions still spread over slots.
            _partitions[p] = $"{{{Prefix}:{p}}}";
            _leases[p] = $"{{{Prefix}:{p}}}:lease";
            _heads[p] = $"{{{Prefix}:{p}}}:heads";
        }

        DeadLetter = $"{Prefix}:dead-letter";
    }

    public string Prefix { get; }

    public int PartitionCount { get; }

    public HashRingBasedStreamQueueMapper Mapper { get; }

    public RedisKey DeadLetter { get; }

    public RedisKey Partition(int partition) => _partitions[partition];

    public RedisKey Lease(int partition) => _leases[partition];

    /// <summary>
    /// Hash of the newest entry id of every stream in the partition (field: <see cref="HeadField"/>).
    /// The append script reads it to chain each entry to the previous one of the same stream.
    /// </summary>
    public RedisKey Heads(int partition) => _heads[partition];

    /// <summary>Field of a stream in its partition's heads hash: the stream id as text.</summary>
    public static RedisValue HeadField(StreamId streamId) => streamId.ToString();

    public int PartitionOf(StreamId streamId) => PartitionOf(Mapper.GetQueueForStream(streamId));

    public int PartitionOf(QueueId queueId)
    {
        var partition = (int)queueId.GetNumericId();
        if (partition < 0 || partition >= PartitionCount)
        {
            throw new ArgumentOutOfRangeException(nameof(queueId), $"Queue {queueId} is not one of the {PartitionCount} partitions of this provider.");
        }

        return partition;
    }
}
