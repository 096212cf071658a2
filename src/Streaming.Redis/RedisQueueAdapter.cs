using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Producer side (silos and pure clients) and receiver factory (silos) of the Redis stream provider.
/// </summary>
internal sealed partial class RedisQueueAdapter : IQueueAdapter
{
    private readonly RedisStreamOptions _options;
    private readonly RedisStreamKeys _keys;
    private readonly RedisStreamConnection _connection;
    private readonly RedisStreamEntryCodec _codec;
    private readonly RedisStreamDeadLetters _deadLetters;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IRedisStreamRecovery? _recovery;
    private readonly RedisStreamPartitionMonitor? _monitor;

    public RedisQueueAdapter(
        string name,
        RedisStreamOptions options,
        RedisStreamKeys keys,
        RedisStreamConnection connection,
        RedisStreamEntryCodec codec,
        RedisStreamDeadLetters deadLetters,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        IRedisStreamRecovery? recovery = null,
        RedisStreamPartitionMonitor? monitor = null)
    {
        Name = name;
        _monitor = monitor;
        _recovery = recovery;
        _options = options;
        _keys = keys;
        _connection = connection;
        _codec = codec;
        _deadLetters = deadLetters;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RedisQueueAdapter>();
    }

    public string Name { get; }

    // Rewinding would need a cache that can reach back into Redis; the simple cache cannot.
    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    /// <summary>
    /// Appends the batch as one entry of the stream's partition and completes only once Redis has
    /// accepted it, so a producer that awaits <c>OnNextAsync</c> knows the event is in the log.
    /// </summary>
    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (token is not null)
        {
            throw new ArgumentException("The Redis stream provider assigns sequence tokens itself (the Redis entry id); producers cannot supply one.", nameof(token));
        }

        var items = new List<object>();
        foreach (var item in events)
        {
            items.Add(item ?? throw new ArgumentException("A stream event cannot be null.", nameof(events)));
        }

        if (items.Count == 0)
        {
            return;
        }

        var partition = _keys.PartitionOf(streamId);
        var fields = _codec.Encode(streamId, items, requestContext);
        var retentionFloor = RedisEntryId.AtOrAfter(_timeProvider.GetUtcNow() - _options.Retention);

        var id = await AppendAsync(partition, streamId, fields, retentionFloor).ConfigureAwait(false);
        LogAppended(Name, partition, id.ToString(), items.Count);
    }

    private async Task<RedisEntryId> AppendAsync(int partition, StreamId streamId, NameValueEntry[] fields, RedisEntryId retentionFloor)
    {
        var database = await _connection.GetDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        return await RedisStreamCommands.AppendChainedAsync(
            database, _keys.Partition(partition), _keys.Heads(partition), RedisStreamKeys.HeadField(streamId), fields, _options.Trimming, retentionFloor, _options.MaxStreamLength).ConfigureAwait(false);
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId)
    {
        var partition = _keys.PartitionOf(queueId);
        return new RedisStreamReceiver(
            Name,
            partition,
            _keys,
            _options,
            _connection,
            _codec,
            _deadLetters,
            _timeProvider,
            _loggerFactory.CreateLogger<RedisStreamReceiver>(),
            _recovery,
            _monitor);
    }

    [LoggerMessage(Level = LogLevel.Trace, Message = "Stream provider {Provider} partition {Partition}: appended entry {EntryId} with {Count} events.")]
    private partial void LogAppended(string provider, int partition, string entryId, int count);
}
