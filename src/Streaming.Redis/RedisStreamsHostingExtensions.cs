using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Serialization;

namespace Cohortly.Streaming.Redis;

/// <summary>Registers the Redis Streams persistent stream provider on silos and pure clients.</summary>
public static class RedisStreamsHostingExtensions
{
    /// <summary>
    /// Adds a persistent stream provider named <paramref name="name"/> backed by Redis Streams.
    /// Silos run one pulling agent per partition; implicit and explicit subscriptions both work
    /// (explicit ones need the usual <c>PubSubStore</c> grain storage, or use
    /// <c>configureStream: s =&gt; s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly)</c>).
    /// Also registers a keyed <see cref="RedisStreamEventLogReader"/>, <see cref="RedisStreamCheckpoint"/> and
    /// <see cref="RedisStreamPartitionMonitor"/>
    /// under the same name; with <see cref="RedisStreamAcknowledgement.ByConsumer"/>, register a keyed
    /// <see cref="IRedisStreamRecovery"/> too.
    /// </summary>
    public static ISiloBuilder AddRedisStreams(
        this ISiloBuilder builder,
        string name,
        Action<RedisStreamOptions> configureOptions,
        Action<ISiloPersistentStreamConfigurator>? configureStream = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configureOptions);

        AddCommonServices(builder.Services, name, configureOptions);
        return builder.AddPersistentStreams(name, RedisQueueAdapterFactory.Create, configurator => configureStream?.Invoke(configurator));
    }

    /// <summary>
    /// Spreads the partitions evenly over the silos with Orleans' <c>LeaseBasedQueueBalancer</c>, its leases in Redis
    /// (<see cref="RedisQueueLeaseProvider"/>): each silo holds ⌊P/n⌋ or ⌈P/n⌉ of the P partitions; when a silo joins,
    /// the others release their surplus (oldest first) and it takes them; when one leaves or dies, the others take its
    /// share once its balancer leases are released or expire. Orleans' default, the consistent-ring balancer, places
    /// partitions by hashing silos onto a ring: with 8 partitions and 3 silos it gave 4 / 3 / 1.
    /// </summary>
    /// <param name="configurator">The stream provider's silo configurator.</param>
    /// <param name="leaseLength">How long a silo's claim on a partition lasts without renewal (renewed every third of it):
    /// a silo that dies without releasing gives its partitions up at most this long after its last renewal.</param>
    /// <param name="acquisitionPeriod">How often a silo below its share tries to take free partitions.</param>
    public static ISiloPersistentStreamConfigurator UseRedisLeaseBalancer(this ISiloPersistentStreamConfigurator configurator, TimeSpan leaseLength, TimeSpan acquisitionPeriod)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        configurator.UseLeaseBasedQueueBalancer(o => o.Configure(b =>
        {
            b.LeaseLength = leaseLength;
            b.LeaseRenewPeriod = leaseLength / 3;
            b.LeaseAcquisitionPeriod = acquisitionPeriod;
        }));
        configurator.ConfigureDelegate(services => services.AddKeyedSingleton<Orleans.LeaseProviders.ILeaseProvider>(configurator.Name, static (sp, key) =>
        {
            var name = (string)key!;
            var options = sp.GetRequiredService<IOptionsMonitor<RedisStreamOptions>>().Get(name);
            return new RedisQueueLeaseProvider(sp.GetRequiredKeyedService<RedisStreamConnection>(name), options.KeyPrefix ?? $"cohortly:stream:{name}");
        }));
        return configurator;
    }

    /// <summary>
    /// Adds the same provider to a pure Orleans client (the gateway), which only produces: each
    /// <c>OnNextAsync</c> completes once Redis has accepted the entry.
    /// </summary>
    public static IClientBuilder AddRedisStreams(
        this IClientBuilder builder,
        string name,
        Action<RedisStreamOptions> configureOptions,
        Action<IClusterClientPersistentStreamConfigurator>? configureStream = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configureOptions);

        AddCommonServices(builder.Services, name, configureOptions);
        return builder.AddPersistentStreams(name, RedisQueueAdapterFactory.Create, configurator => configureStream?.Invoke(configurator));
    }

    private static void AddCommonServices(IServiceCollection services, string name, Action<RedisStreamOptions> configureOptions)
    {
        services.AddOptions<RedisStreamOptions>(name).Configure(configureOptions).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisStreamOptions>, RedisStreamOptionsValidator>());

        services.AddKeyedSingleton(name, static (sp, key) => new RedisStreamConnection(
            (string)key!,
            sp.GetRequiredService<IOptionsMonitor<RedisStreamOptions>>().Get((string)key!),
            sp,
            sp.GetRequiredService<ILogger<RedisStreamConnection>>()));

        services.AddKeyedSingleton(name, static (sp, key) => new RedisStreamEventLogReader(
            (string)key!,
            sp.GetRequiredService<IOptionsMonitor<RedisStreamOptions>>().Get((string)key!),
            sp.GetRequiredKeyedService<RedisStreamConnection>(key),
            sp.GetRequiredService<Serializer>(),
            sp.GetRequiredService<ILogger<RedisStreamEventLogReader>>()));

        services.AddKeyedSingleton(name, static (sp, key) => new RedisStreamPartitionMonitor(
            (string)key!,
            sp.GetRequiredService<IOptionsMonitor<RedisStreamOptions>>().Get((string)key!),
            sp.GetRequiredKeyedService<RedisStreamConnection>(key)));

        services.AddKeyedSingleton(name, static (sp, key) => new RedisStreamCheckpoint(
            (string)key!,
            sp.GetRequiredService<IOptionsMonitor<RedisStreamOptions>>().Get((string)key!),
            sp.GetRequiredKeyedService<RedisStreamConnection>(key),
            sp.GetRequiredService<Serializer>(),
            sp.GetRequiredService<ILogger<RedisStreamCheckpoint>>()));
    }
}
