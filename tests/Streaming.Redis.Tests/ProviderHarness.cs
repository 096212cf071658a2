using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>
/// The provider's adapter and receivers without a silo: drives the receiver exactly the way the
/// pulling agent does (Initialize, GetQueueMessagesAsync, MessagesDeliveredAsync, Shutdown).
/// Each harness gets its own key prefix, so tests sharing one redis-server never see each other.
/// </summary>
internal sealed class ProviderHarness
{
    public const string ProviderName = "harness";

    private static readonly Lazy<Serializer> SharedSerializer = new(() => new ServiceCollection()
        .AddSerializer(builder => builder
            .AddAssembly(typeof(RedisStreamOptions).Assembly)
            .AddAssembly(typeof(ProbeEvent).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>());

    private ProviderHarness(RedisServer redis, RedisStreamOptions options, RedisQueueAdapterFactory factory, IQueueAdapter adapter)
    {
        Redis = redis;
        Options = options;
        Factory = factory;
        Adapter = adapter;
    }

    public RedisServer Redis { get; }

    public RedisStreamOptions Options { get; }

    public RedisQueueAdapterFactory Factory { get; }

    public IQueueAdapter Adapter { get; }

    public static Serializer Serializer => SharedSerializer.Value;

    public static async Task<ProviderHarness> CreateAsync(
        RedisServer redis,
        Action<RedisStreamOptions>? configure = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IRedisStreamRecovery? recovery = null)
    {
        var options = new RedisStreamOptions
        {
            ConnectionString = redis.ConnectionString,
            KeyPrefix = $"test:{Guid.NewGuid():N}",
            PartitionCount = 4,
            PendingIdleTimeout = TimeSpan.FromMinutes(10),
        };
        configure?.Invoke(options);
        var validation = new RedisStreamOptionsValidator().Validate(ProviderName, options);
        Assert.False(validation.Failed, validation.FailureMessage);

        var connection = new RedisStreamConnection(ProviderName, redis.Multiplexer, NullLogger.Instance);
        var factory = new RedisQueueAdapterFactory(
            ProviderName,
            options,
            new SimpleQueueCacheOptions(),
            connection,
            Serializer,
            timeProvider ?? TimeProvider.System,
            loggerFactory ?? NullLoggerFactory.Instance,
            recovery);
        var adapter = await factory.CreateAdapter(CancellationToken.None);
        return new ProviderHarness(redis, options, factory, adapter);
    }

    public RedisStreamCheckpoint CreateCheckpoint() =>
        new(ProviderName, Options, new RedisStreamConnection(ProviderName, Redis.Multiplexer, NullLogger.Instance), Serializer, NullLogger.Instance);

    public RedisStreamEventLogReader CreateReader() =>
        new(ProviderName, Options, Redis.Multiplexer, Serializer);

    /// <summary>A stream key that lands in <paramref name="partition"/>.</summary>
    public StreamId StreamInPartition(int partition, string streamNamespace = "interactions")
    {
        for (var i = 0; ; i++)
        {
            var candidate = StreamId.Create(streamNamespace, $"user-{partition}-{i}");
            if (Factory.Keys.PartitionOf(candidate) == partition)
            {
                return candidate;
            }
        }
    }

    public QueueId QueueOf(StreamId streamId) => Factory.Keys.Mapper.GetQueueForStream(streamId);

    public RedisKey PartitionKey(int partition) => Factory.Keys.Partition(partition);

    public Task ProduceAsync(StreamId streamId, params ProbeEvent[] events) =>
        Adapter.QueueMessageBatchAsync(streamId, events, null, null);

    public async Task<RedisStreamReceiver> StartReceiverAsync(int partition)
    {
        var receiver = (RedisStreamReceiver)Adapter.CreateReceiver(Factory.Keys.Mapper.GetAllQueues().Single(q => Factory.Keys.PartitionOf(q) == partition));
        await receiver.Initialize(TimeSpan.FromSeconds(10), CancellationToken.None);
        return receiver;
    }

    /// <summary>Calls the receiver like the agent's timer does until it has returned <paramref name="count"/> batches.</summary>
    public static async Task<List<IBatchContainer>> ReadAtLeastAsync(RedisStreamReceiver receiver, int count, TimeSpan timeout)
    {
        var batches = new List<IBatchContainer>();
        await Eventually.Value(
            async () =>
            {
                batches.AddRange(await receiver.GetQueueMessagesAsync(100, CancellationToken.None));
                return batches.Count;
            },
            n => n >= count,
            $"{count} batches from the receiver",
            timeout);
        return batches;
    }

    public async Task<long> PendingCountAsync(int partition) =>
        (await Redis.Database.StreamPendingAsync(PartitionKey(partition), Options.ConsumerGroup)).PendingMessageCount;

    public static RedisEntryId IdOf(IBatchContainer batch) =>
        ((RedisStreamSequenceToken)batch.SequenceToken).EntryId;
}
