using System.Net;
using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.Streams;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// The one silo configuration path. Both the standalone silo (src/Silo) and the gateway's embedded
/// silo call <see cref="AddCohortly"/>, so the two modes cannot drift apart.
/// </summary>
public static class CohortlySiloExtensions
{
    /// <summary>Clustering (localhost or Redis membership) plus everything in <see cref="AddCohortlyServices"/>.</summary>
    public static ISiloBuilder AddCohortly(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = CohortlyConfiguration.Read(configuration);
        if (options.IsRedis)
        {
            silo.UseRedisClustering(CohortlyConfiguration.RedisConnectionString(configuration));
            silo.ConfigureEndpoints(AdvertisedAddress(options.Silo.AdvertisedHost), options.Silo.Port, options.Silo.GatewayPort, listenOnAnyHostAddress: options.Silo.ListenOnAllInterfaces);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                // Orleans' defaults (10 s probes, 3 misses) take ~30 s to declare a dead silo; until then
                // its users' calls fail. Death after ~ProbeTimeout × MissedProbesLimit instead.
                o.ProbeTimeout = options.Membership.ProbeTimeout;
                o.NumMissedProbesLimit = options.Membership.MissedProbesLimit;
            });
        }
        else
        {
            silo.UseLocalhostClustering(options.Silo.Port, options.Silo.GatewayPort);
        }

        return silo.AddCohortlyServices(configuration);
    }

    /// <summary>
    /// Storage, reminders, streams, per-silo services. Separate from membership so a test cluster
    /// (which brings its own membership) runs exactly the production configuration otherwise.
    /// </summary>
    public static ISiloBuilder AddCohortlyServices(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = CohortlyConfiguration.Read(configuration);
        var services = silo.Services;
        CohortlyConfiguration.AddOptions(services, configuration);

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SystemTextJsonGrainStorageSerializer>();
        services.TryAddSingleton<DeflatedGrainStorageSerializer>();

        if (options.IsRedis)
        {
            var redis = CohortlyConfiguration.RedisConnectionString(configuration);
            foreach (var name in new[] { StreamNames.Storage, StreamNames.PubSubStore })
            {
                silo.AddRedisGrainStorage(name, b => b.Configure<IServiceProvider>((o, sp) =>
                {
                    o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redis);
                    o.GrainStorageSerializer = sp.GetRequiredService<SystemTextJsonGrainStorageSerializer>();
                }));
            }

            silo.UseRedisReminderService(o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redis));
        }
        else
        {
            foreach (var name in new[] { StreamNames.Storage, StreamNames.PubSubStore })
            {
                silo.AddMemoryGrainStorage(name, b => b.Configure<IServiceProvider>((o, sp) =>
                {
                    // The in-process copy of every state is part of each resident user's cost: deflated JSON.
                    o.GrainStorageSerializer = sp.GetRequiredService<DeflatedGrainStorageSerializer>();
                    // Each storage grain serializes its writes; the default 10 queue up under write-behind bursts.
                    o.NumStorageGrains = 64;
                }));
            }

            silo.UseInMemoryReminderService();
        }

        if (options.IsRedis)
        {
            var redis = CohortlyConfiguration.RedisConnectionString(configuration);
            silo.AddRedisStreams(StreamNames.Provider, o => CohortlyConfiguration.ConfigureRedisStreams(o, options, redis), s => s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
            services.AddKeyedSingleton<IRedisStreamRecovery, Users.UserLogRecovery>(StreamNames.Provider);
        }
        else
        {
            silo.AddMemoryStreams(StreamNames.Provider, s => s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        }

        // Implicit subscriptions only: otherwise every new user stream activates and persists a
        // pub-sub rendezvous grain, doubling activations and storage writes per user.
        // Defaults keep delivered events (30 min) and idle stream cursors (30 min) in memory; at
        // 100k users that dominates the heap. Short windows still cover redelivery after a failure.
        // The cache purges an event only once it is older than the window *relative to the newest
        // event*, so after a burst the last window of it stays until new events come: with 2 min, the
        // whole population run of 100k users (~100 s) stayed cached, ~1.2 KB per resident user. The
        // in-memory queue's backlog is bounded (IngestionBacklog, MaxIngestBacklog events, a few
        // seconds of work), so no cursor lags 30 s behind the newest event; Redis keeps 2 min.
        services.Configure<StreamCacheEvictionOptions>(StreamNames.Provider, o =>
        {
            o.DataMinTimeInCache = options.IsRedis ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(10);
            o.DataMaxAgeInCache = options.IsRedis ? TimeSpan.FromMinutes(2) : TimeSpan.FromSeconds(30);
        });
        services.Configure<StreamPullingAgentOptions>(StreamNames.Provider, o =>
        {
            o.StreamInactivityPeriod = TimeSpan.FromSeconds(options.Streams.InactivitySeconds);
            o.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(options.Streams.PollMilliseconds);
        });
        silo.AddActivityPropagation();

        services.TryAddSingleton<CohortlyMetrics>();
        services.AddSingleton<IngestionBacklog>();
        services.AddSingleton<Users.UserGrainSettings>();
        services.AddSingleton<Users.UserGrainServices>();
        services.AddSingleton<CatalogCache>();
        services.AddSingleton<SegmentationCache>();
        services.AddSingleton<CohortSnapshotCache>();
        services.AddSingleton<ActivityAggregator>();
        Training.TrainingRegistration.AddTrainingServices(services, configuration, options);
        services.AddSingleton<SiloBackgroundWork>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloBackgroundWork>());
        return silo;
    }

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

        throw new OptionsValidationException(nameof(CohortlyOptions), typeof(CohortlyOptions), [$"Cohortly:Silo:AdvertisedHost '{host}' does not resolve to an IPv4 address."]);
    }
}

/// <summary>Reading and validating the "Cohortly" section; shared by silos and the gateway client.</summary>
public static class CohortlyConfiguration
{
    public static CohortlyOptions Read(IConfiguration configuration)
    {
        var options = new CohortlyOptions();
        configuration.GetSection(CohortlyOptions.Section).Bind(options);
        var result = new CohortlyOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(CohortlyOptions), typeof(CohortlyOptions), result.Failures);
        }

        return options;
    }

    public static void AddOptions(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CohortlyOptions>().Bind(configuration.GetSection(CohortlyOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CohortlyOptions>, CohortlyOptionsValidator>());
    }

    /// <summary>
    /// Silos and gateways must agree on partitions and key prefix. User grains acknowledge entries
    /// themselves after the save that covers them, so the stream checkpoint never passes an effect
    /// that is not persisted (docs/streaming-redis.md, "Exactly once").
    /// </summary>
    public static void ConfigureRedisStreams(RedisStreamOptions o, CohortlyOptions options, string redis)
    {
        o.ConnectionString = redis;
        o.KeyPrefix = $"cohortly:{options.ServiceId}:stream:{StreamNames.Provider}";
        o.PartitionCount = options.Streams.Partitions;
        o.Retention = TimeSpan.FromHours(options.Streams.RetentionHours);
        o.Acknowledgement = RedisStreamAcknowledgement.ByConsumer;
        o.ConsumerAcknowledgementTimeout = options.Streams.AcknowledgementTimeout;
        o.PendingIdleTimeout = options.Streams.LeaseTimeout;
    }

    public static string RedisConnectionString(IConfiguration configuration)
    {
        var redis = configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(redis))
        {
            throw new OptionsValidationException(nameof(CohortlyOptions), typeof(CohortlyOptions), ["Cohortly:Cluster is 'Redis' but ConnectionStrings:Redis is empty."]);
        }

        return redis;
    }
}
