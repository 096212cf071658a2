using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>One event read back from the log.</summary>
/// <param name="Partition">Partition (Redis stream key) the event was read from.</param>
/// <param name="Position">Exact position; the same value the consumer's token carried.</param>
/// <param name="StreamId">Orleans stream the event was produced to.</param>
/// <param name="Event">The event, deserialized with the Orleans serializer.</param>
public sealed record RedisStreamLogEvent(int Partition, RedisStreamPosition Position, StreamId StreamId, object Event)
{
    /// <summary>When Redis accepted the event (server clock).</summary>
    public DateTimeOffset Timestamp => Position.EntryId.Timestamp;
}

/// <summary>
/// Reads the retained log of a Redis stream provider for offline work (training): every entry of
/// every partition, merged into one sequence ordered by entry id (Redis server time), read with
/// <c>XRANGE</c> in pages. Reading does not touch the consumer group, so it never disturbs delivery.
/// </summary>
/// <remarks>
/// In a silo or client that called <c>AddRedisStreams(name, …)</c>, resolve it with
/// <c>GetRequiredKeyedService&lt;RedisStreamEventLogReader&gt;(name)</c>. Anywhere else, construct it
/// with a multiplexer and an Orleans <see cref="Serializer"/> that knows the event types. Entries
/// appended while reading may or may not be included; entries that cannot be decoded are skipped
/// with a warning.
/// </remarks>
public sealed partial class RedisStreamEventLogReader
{
    private readonly RedisStreamOptions _options;
    private readonly RedisStreamKeys _keys;
    private readonly RedisStreamConnection _connection;
    private readonly RedisStreamEntryCodec _codec;
    private readonly ILogger _logger;

    public RedisStreamEventLogReader(
        string providerName,
        RedisStreamOptions options,
        IConnectionMultiplexer multiplexer,
        Serializer serializer,
        ILogger<RedisStreamEventLogReader>? logger = null)
        : this(
            providerName,
            Validated(providerName, options),
            new RedisStreamConnection(providerName, multiplexer ?? throw new ArgumentNullException(nameof(multiplexer)), NullLogger.Instance),
            serializer,
            (ILogger?)logger ?? NullLogger.Instance)
    {
    }

    internal RedisStreamEventLogReader(string providerName, RedisStreamOptions options, RedisStreamConnection connection, Serializer serializer, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(providerName);
        ProviderName = providerName;
        _options = options;
        _keys = new RedisStreamKeys(providerName, options);
        _connection = connection;
        _codec = new RedisStreamEntryCodec(serializer);
        _logger = logger;
    }

    public string ProviderName { get; }

    public int PartitionCount => _keys.PartitionCount;

    /// <summary>
    /// Streams the retained events, oldest first across all partitions.
    /// </summary>
    /// <param name="from">Only events Redis accepted at or after this time.</param>
    /// <param name="until">Only events Redis accepted before this time.</param>
    /// <param name="streamNamespace">Only events of this Orleans stream namespace (filtered before deserializing).</param>
    /// <param name="cancellationToken">Stops the read between pages and between entries.</param>
    public async IAsyncEnumerable<RedisStreamLogEvent> ReadAsync(
        DateTimeOffset? from = null,
        DateTimeOffset? until = null,
        string? streamNamespace = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RedisValue min = from is { } start ? RedisEntryId.AtOrAfter(start).ToString() : "-";
        RedisValue max = until is { } end ? "(" + RedisEntryId.AtOrAfter(end).ToString() : "+";
        RedisValue namespaceFilter = streamNamespace is null ? RedisValue.Null : (RedisValue)streamNamespace;

        var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var heads = new PriorityQueue<PartitionPage, (RedisEntryId Id, int Partition)>(_keys.PartitionCount);
        for (var partition = 0; partition < _keys.PartitionCount; partition++)
        {
            var page = new PartitionPage(partition, _keys.Partition(partition), min);
            if (await page.FetchAsync(database, max, _options.EventLogPageSize).ConfigureAwait(false))
            {
                heads.Enqueue(page, (page.CurrentId, partition));
            }
        }

        var skipped = 0L;
        while (heads.TryDequeue(out var page, out _))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = page.Current;
            var id = page.CurrentId;
            if (page.Advance() || await page.FetchAsync(database, max, _options.EventLogPageSize).ConfigureAwait(false))
            {
                heads.Enqueue(page, (page.CurrentId, page.Partition));
            }

            if (!namespaceFilter.IsNull && entry[RedisStreamEntryCodec.NamespaceField] != namespaceFilter)
            {
                continue;
            }

            if (!_codec.TryDecode(entry.Values, out var payload, out var error))
            {
                skipped++;
                LogSkipped(ProviderName, page.Partition, id.ToString(), error!);
                continue;
            }

            for (var i = 0; i < payload!.Events.Count; i++)
            {
                yield return new RedisStreamLogEvent(page.Partition, new RedisStreamPosition(id, i), payload.StreamId, payload.Events[i]);
            }
        }

        if (skipped > 0)
        {
            LogSkippedTotal(ProviderName, skipped);
        }
    }

    private static RedisStreamOptions Validated(string providerName, RedisStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The reader never connects by itself; give the connection check a stand-in so the other
        // rules (partition count, prefix, page size) are still enforced with the usual messages.
        var probe = new RedisStreamOptions
        {
            ConnectionString = "localhost",
            KeyPrefix = options.KeyPrefix,
            PartitionCount = options.PartitionCount,
            Trimming = options.Trimming,
            Retention = options.Retention,
            MaxStreamLength = options.MaxStreamLength,
            ReadBatchSize = options.ReadBatchSize,
            ConsumerGroup = options.ConsumerGroup,
            NewConsumerGroupStart = options.NewConsumerGroupStart,
            PendingIdleTimeout = options.PendingIdleTimeout,
            AcknowledgementDelay = options.AcknowledgementDelay,
            EventLogPageSize = options.EventLogPageSize,
            DeadLetterMaxLength = options.DeadLetterMaxLength,
        };
        var result = new RedisStreamOptionsValidator().Validate(providerName, probe);
        return result.Failed ? throw new ArgumentException(result.FailureMessage, nameof(options)) : options;
    }

    /// <summary>The current XRANGE page of one partition.</summary>
    private sealed class PartitionPage(int partition, RedisKey key, RedisValue start)
    {
        private StreamEntry[] _entries = [];
        private int _index;
        private RedisValue _next = start;
        private bool _exhausted;

        public int Partition { get; } = partition;

        public StreamEntry Current => _entries[_index];

        public RedisEntryId CurrentId { get; private set; }

        public bool Advance()
        {
            _index++;
            return _index < _entries.Length && SetCurrentId();
        }

        public async Task<bool> FetchAsync(IDatabase database, RedisValue max, int pageSize)
        {
            while (!_exhausted)
            {
                _entries = await database.StreamRangeAsync(key, _next, max, pageSize).ConfigureAwait(false);
                _index = 0;
                if (_entries.Length < pageSize)
                {
                    _exhausted = true;
                }

                if (_entries.Length > 0)
                {
                    _next = "(" + _entries[^1].Id.ToString();
                    if (SetCurrentId())
                    {
                        return true;
                    }
                }
            }

            _entries = [];
            return false;
        }

        private bool SetCurrentId()
        {
            // Skip ids that do not parse (cannot happen for entries Redis assigned, but never loop on one).
            while (_index < _entries.Length)
            {
                if (RedisEntryId.TryParse(_entries[_index].Id.ToString(), out var id))
                {
                    CurrentId = id;
                    return true;
                }

                _index++;
            }

            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event log {Provider} partition {Partition}: skipped entry {EntryId} ({Reason}).")]
    private partial void LogSkipped(string provider, int partition, string entryId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event log {Provider}: {Count} entries could not be decoded and were skipped.")]
    private partial void LogSkippedTotal(string provider, long count);
}
