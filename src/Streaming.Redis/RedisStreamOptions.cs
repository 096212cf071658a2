using Orleans.Runtime;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>How the partition streams are kept from growing without bound.</summary>
public enum RedisStreamTrimming
{
    /// <summary>Keep entries younger than <see cref="RedisStreamOptions.Retention"/> (<c>XADD MINID ~</c>).</summary>
    Retention,

    /// <summary>Keep about <see cref="RedisStreamOptions.MaxStreamLength"/> entries per partition (<c>XADD MAXLEN ~</c>).</summary>
    MaxLength,

    /// <summary>Never trim. Only for tests or when something else trims.</summary>
    None,
}

/// <summary>Where a consumer group starts when the provider has to create it.</summary>
public enum RedisConsumerGroupStart
{
    /// <summary>Deliver every entry already in the stream (<c>XGROUP CREATE … 0</c>). Nothing produced before the first silo started is lost.</summary>
    Beginning,

    /// <summary>Deliver only entries added after the group was created (<c>XGROUP CREATE … $</c>).</summary>
    End,
}

/// <summary>Who acknowledges (<c>XACK</c>) an entry, i.e. when the group's checkpoint may move past it.</summary>
public enum RedisStreamAcknowledgement
{
    /// <summary>
    /// The receiver, <see cref="RedisStreamOptions.AcknowledgementDelay"/> after every consumer's
    /// <c>OnNextAsync</c> returned. At least once only while consumers persist within that delay.
    /// </summary>
    OnDelivery,

    /// <summary>
    /// The consumer, through <see cref="RedisStreamCheckpoint.AcknowledgeAsync"/>, once it has persisted
    /// the effects. Entries left unacknowledged longer than <see cref="RedisStreamOptions.ConsumerAcknowledgementTimeout"/>
    /// are handed to the registered <see cref="IRedisStreamRecovery"/> (or delivered again).
    /// </summary>
    ByConsumer,
}

/// <summary>
/// Options of one Redis stream provider (named by the provider name). Validated when the host
/// starts; see <see cref="RedisStreamOptionsValidator"/> for the rules.
/// </summary>
public sealed class RedisStreamOptions
{
    public const int DefaultPartitionCount = 8;
    public const int MaxPartitionCount = 1024;

    /// <summary>StackExchange.Redis configuration string. Set exactly one of this, <see cref="Configuration"/> and <see cref="ConnectionFactory"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// StackExchange.Redis options, for what a configuration string cannot say (certificate validation against a
    /// private CA, a client certificate). The provider connects with a copy and disposes what it opened.
    /// </summary>
    public ConfigurationOptions? Configuration { get; set; }

    /// <summary>
    /// How a stream id is written in log messages. A stream's key is often a person's id (Cohortly keys streams by
    /// user id), so a host can log a keyed pseudonym instead of the id; the default writes the id.
    /// </summary>
    public Func<StreamId, string> DescribeStream { get; set; } = static id => id.ToString();

    /// <summary>
    /// Supplies a shared multiplexer instead of <see cref="ConnectionString"/>. The provider does
    /// not dispose a multiplexer it did not create.
    /// </summary>
    public Func<IServiceProvider, Task<IConnectionMultiplexer>>? ConnectionFactory { get; set; }

    /// <summary>
    /// Prefix of every key of this provider; <c>null</c> means <c>cohortly:stream:&lt;provider name&gt;</c>.
    /// Partition <c>p</c> lives in <c>{&lt;prefix&gt;:p}</c> (the braces are a Redis Cluster hash tag).
    /// </summary>
    public string? KeyPrefix { get; set; }

    /// <summary>
    /// Number of partitions (Redis stream keys; one pulling agent each). Every Orleans stream maps
    /// to exactly one partition by the hash of its id. Changing it remaps streams: drain first.
    /// </summary>
    public int PartitionCount { get; set; } = DefaultPartitionCount;

    /// <summary>How partitions are trimmed on every <c>XADD</c>.</summary>
    public RedisStreamTrimming Trimming { get; set; } = RedisStreamTrimming.Retention;

    /// <summary>Age of the oldest entry kept when <see cref="Trimming"/> is <see cref="RedisStreamTrimming.Retention"/>.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Approximate entries kept per partition when <see cref="Trimming"/> is <see cref="RedisStreamTrimming.MaxLength"/>.</summary>
    public long MaxStreamLength { get; set; } = 1_000_000;

    /// <summary>Most entries one <c>XREADGROUP</c> / <c>XCLAIM</c> returns to the pulling agent.</summary>
    public int ReadBatchSize { get; set; } = 100;

    /// <summary>Consumer group shared by all silos of the cluster.</summary>
    public string ConsumerGroup { get; set; } = "cohortly";

    /// <summary>Where a newly created consumer group starts.</summary>
    public RedisConsumerGroupStart NewConsumerGroupStart { get; set; } = RedisConsumerGroupStart.Beginning;

    /// <summary>
    /// How long a partition owner may stay silent before another silo may take the partition over
    /// and redeliver the entries the silent owner read but had not acknowledged. This is the
    /// partition lease's time to live; a graceful shutdown releases the lease at once.
    /// </summary>
    public TimeSpan PendingIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after the agent reports an entry delivered the receiver waits before <c>XACK</c>.
    /// Set it above the consumers' write-behind interval so the checkpoint only moves past events
    /// whose effects have been persisted. Zero acknowledges immediately.
    /// </summary>
    public TimeSpan AcknowledgementDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Who acknowledges entries; see <see cref="RedisStreamAcknowledgement"/>.</summary>
    public RedisStreamAcknowledgement Acknowledgement { get; set; } = RedisStreamAcknowledgement.OnDelivery;

    /// <summary>
    /// With <see cref="RedisStreamAcknowledgement.ByConsumer"/>: how long an entry may stay pending
    /// before the partition owner assumes the consumer that applied it lost its unsaved effects (its
    /// silo died) and asks for recovery. Set it above the consumers' write-behind interval.
    /// </summary>
    public TimeSpan ConsumerAcknowledgementTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// With <see cref="RedisStreamAcknowledgement.ByConsumer"/>: how often <see cref="RedisStreamCheckpoint.Acknowledge"/>
    /// sends what consumers handed over (one <c>XACK</c> per partition per flush).
    /// </summary>
    public TimeSpan AcknowledgementFlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// With <see cref="RedisStreamAcknowledgement.ByConsumer"/>: recovery attempts for one entry before
    /// it is dead-lettered and acknowledged, so a consumer that can never apply it cannot pin it for ever.
    /// </summary>
    public int MaxRecoveryAttempts { get; set; } = 20;

    /// <summary>Entries per <c>XRANGE</c> page of the event-log reader.</summary>
    public int EventLogPageSize { get; set; } = 1_000;

    /// <summary>Approximate length of the dead-letter stream (undecodable entries, failed deliveries).</summary>
    public long DeadLetterMaxLength { get; set; } = 100_000;
}
