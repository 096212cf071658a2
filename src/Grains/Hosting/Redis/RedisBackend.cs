using System.Net;
using Cohortly.Contracts;
using Cohortly.Grains.Audit;
using Cohortly.Grains.Training;
using Cohortly.Grains.Users;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.Streams;

namespace Cohortly.Grains.Hosting.Redis;

/// <summary>
/// Silo processes sharing one Redis (<c>ConnectionStrings:Redis</c>): Redis membership, grain state and reminders,
/// the interactions stream on Redis Streams (which is also the training log), attributes and model artifacts in
/// Redis keys. The gateway is an Orleans client. Every connection takes its options from one
/// <see cref="RedisConnection"/> (TLS, ACL user and password from <c>Cohortly:Redis</c>).
/// </summary>
public sealed class RedisBackend(RedisConnection redis) : CohortlyBackend
{
    public const string Name = "Redis";

    public override bool InProcess => false;

    public override bool StateOutlivesProcess => true;

    public override void UseClustering(ISiloBuilder silo, CohortlyOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        silo.UseRedisClustering(o => o.ConfigurationOptions = redis.Options());
        silo.ConfigureEndpoints(AdvertisedAddress(options.Silo.AdvertisedHost), options.Silo.Port, options.Silo.GatewayPort, listenOnAnyHostAddress: options.Silo.ListenOnAllInterfaces);
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            // Orleans' defaults (10 s probes, 3 misses) take ~30 s to declare a dead silo; until then
            // its users' calls fail. Death after ~ProbeTimeout × MissedProbesLimit instead.
            o.ProbeTimeout = options.Membership.ProbeTimeout;
            o.NumMissedProbesLimit = options.Membership.MissedProbesLimit;
        });
    }

    public override void AddStorage(ISiloBuilder silo, CohortlyOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var name in new[] { StreamNames.Storage, StreamNames.PubSubStore })
        {
            silo.AddRedisGrainStorage(name, b => b.Configure<IServiceProvider>((o, sp) =>
            {
                o.ConfigurationOptions = redis.Options();
                // Deflated: Redis keeps every user ever seen, and a user's state JSON (~1.1 KB after three events)
                // was two thirds of what Redis held per user. Plain JSON written before is still read.
                o.GrainStorageSerializer = sp.GetRequiredService<DeflatedGrainStorageSerializer>();
            }));
        }

        silo.UseRedisReminderService(o => o.ConfigurationOptions = redis.Options());
        silo.AddRedisStreams(StreamNames.Provider, o => ConfigureStreams(o, options, redis), s =>
        {
            s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            // Even shares of the partitions, and a silo that joins gets its share (docs/architecture.md, "Scaling out and in").
            if (options.Scaling.PartitionBalancer == PartitionBalancer.Leases)
            {
                s.UseRedisLeaseBalancer(options.Scaling.PartitionLeaseLength, options.Scaling.PartitionAcquisitionPeriod);
            }
        });
        silo.Services.AddKeyedSingleton<IRedisStreamRecovery, UserLogRecovery>(StreamNames.Provider);
        // The cache window and why it is short: CohortlySiloExtensions.AddCohortlyServices.
        silo.Services.Configure<StreamCacheEvictionOptions>(StreamNames.Provider, o =>
        {
            o.DataMinTimeInCache = TimeSpan.FromSeconds(30);
            o.DataMaxAgeInCache = TimeSpan.FromMinutes(2);
        });

        AddLog(silo.Services);
        silo.Services.TryAddSingleton<IModelStore, RedisModelStore>();
    }

    public override void UseClustering(IClientBuilder client, CohortlyOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.UseRedisClustering(o => o.ConfigurationOptions = redis.Options());
    }

    public override void AddStorage(IClientBuilder client, CohortlyOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        client.AddRedisStreams(StreamNames.Provider, o => ConfigureStreams(o, options, redis), s => s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        // The gateway only appends events, and the streams are the log: it needs no log of its own (attributes
        // are written by the user grain, on the silo).
        client.Services.TryAddSingleton<InteractionStreamPublisher>();
        client.Services.TryAddSingleton<IEventSink, RedisEventSink>();
        // The audit trail is written where requests are authorized: the gateway.
        AddRedis(client.Services);
        client.Services.TryAddSingleton<IAuditLog, RedisAuditLog>();
    }

    /// <summary>
    /// Silos and gateways must agree on partitions and key prefix. User grains acknowledge entries
    /// themselves after the save that covers them, so the stream checkpoint never passes an effect
    /// that is not persisted (docs/streaming-redis.md, "Exactly once").
    /// </summary>
    public static void ConfigureStreams(RedisStreamOptions o, CohortlyOptions options, string redis) =>
        ConfigureStreams(o, options, RedisConnection.Plain(redis));

    /// <inheritdoc cref="ConfigureStreams(RedisStreamOptions, CohortlyOptions, string)"/>
    public static void ConfigureStreams(RedisStreamOptions o, CohortlyOptions options, RedisConnection redis)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redis);
        o.Configuration = redis.Options();
        o.KeyPrefix = $"cohortly:{options.ServiceId}:stream:{StreamNames.Provider}";
        o.PartitionCount = options.Streams.Partitions;
        o.Retention = options.Streams.Retention;
        o.Acknowledgement = RedisStreamAcknowledgement.ByConsumer;
        o.ConsumerAcknowledgementTimeout = options.Streams.AcknowledgementTimeout;
        o.PendingIdleTimeout = options.Streams.LeaseTimeout;
        // Stream keys are user ids: the provider's log messages carry a keyed pseudonym instead.
        o.DescribeStream = UserPseudonyms.For(options.PseudonymKey).Of;
    }

    /// <summary>What training reads: the Redis streams are the event log; attributes (written by user grains) go to a Redis hash.</summary>
    private void AddLog(IServiceCollection services)
    {
        AddRedis(services);
        services.TryAddSingleton<RedisInteractionLog>();
        services.TryAddSingleton<IInteractionLog>(static sp => sp.GetRequiredService<RedisInteractionLog>());
        services.TryAddSingleton<IUserDataLog>(static sp => sp.GetRequiredService<RedisInteractionLog>());
    }

    private void AddRedis(IServiceCollection services) =>
        services.TryAddSingleton(sp => new CohortlyRedis(redis, sp.GetRequiredService<IOptions<CohortlyOptions>>()));

    private static IPAddress AdvertisedAddress(string? host)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return IPAddress.Loopback;
        }

        if (IPAddress.TryParse(host, out var ip))
        {
            return ip;
        }

        foreach (var address in Dns.GetHostAddresses(host))
        {
            if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                return address;
            }
        }

        throw Invalid($"Cohortly:Silo:AdvertisedHost '{host}' does not resolve to an IPv4 address.");
    }
}
