using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Serialization;
using Orleans.Streams;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Entry point Orleans' persistent stream provider uses to build the Redis adapter, its cache,
/// the stream-to-partition map and the delivery-failure handler.
/// </summary>
internal sealed class RedisQueueAdapterFactory : IQueueAdapterFactory
{
    private readonly string _name;
    private readonly RedisStreamOptions _options;
    private readonly RedisStreamKeys _keys;
    private readonly RedisStreamConnection _connection;
    private readonly RedisStreamEntryCodec _codec;
    private readonly RedisStreamDeadLetters _deadLetters;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly SimpleQueueAdapterCache _cache;
    private readonly IRedisStreamRecovery? _recovery;
    private readonly RedisStreamPartitionMonitor _monitor;

    public RedisQueueAdapterFactory(
        string name,
        RedisStreamOptions options,
        SimpleQueueCacheOptions cacheOptions,
        RedisStreamConnection connection,
        Serializer serializer,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        IRedisStreamRecovery? recovery = null,
        RedisStreamPartitionMonitor? monitor = null)
    {
        _name = name;
        _monitor = monitor ?? new RedisStreamPartitionMonitor(name, options, connection);
        _recovery = recovery;
        _options = options;
        _keys = new RedisStreamKeys(name, options);
        _connection = connection;
        _codec = new RedisStreamEntryCodec(serializer);
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _deadLetters = new RedisStreamDeadLetters(connection, _keys, options.DeadLetterMaxLength, timeProvider, loggerFactory.CreateLogger<RedisStreamDeadLetters>());

        // The simple cache purges a batch only after every consumer cursor has moved past it, which
        // is exactly the "delivered" signal the receiver acknowledges on.
        _cache = new SimpleQueueAdapterCache(cacheOptions, name, loggerFactory);
    }

    internal RedisStreamKeys Keys => _keys;

    /// <summary>Where this process's receivers report the partitions they hold.</summary>
    internal RedisStreamPartitionMonitor Monitor => _monitor;

    public static RedisQueueAdapterFactory Create(IServiceProvider services, string name)
    {
        // Reading the named options runs RedisStreamOptionsValidator, so even a host without
        // ValidateOnStart fails here with the same messages rather than later with a Redis error.
        var options = services.GetRequiredService<IOptionsMonitor<RedisStreamOptions>>().Get(name);
        var cacheOptions = services.GetRequiredService<IOptionsMonitor<SimpleQueueCacheOptions>>().Get(name);
        return new RedisQueueAdapterFactory(
            name,
            options,
            cacheOptions,
            services.GetRequiredKeyedService<RedisStreamConnection>(name),
            services.GetRequiredService<Serializer>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILoggerFactory>(),
            services.GetKeyedService<IRedisStreamRecovery>(name),
            services.GetKeyedService<RedisStreamPartitionMonitor>(name));
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public async Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken)
    {
        // Connect now: a wrong connection string or an unreachable Redis fails the silo or client
        // start instead of the first event.
        await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return new RedisQueueAdapter(_name, _options, _keys, _connection, _codec, _deadLetters, _timeProvider, _loggerFactory, _recovery, _monitor);
    }

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _keys.Mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new RedisStreamFailureHandler(
            _deadLetters,
            _keys.PartitionOf(queueId),
            _loggerFactory.CreateLogger<RedisStreamFailureHandler>()));
}
