using Cohortly.Contracts;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Streams;

namespace Cohortly.Grains.Hosting;

/// <summary>Configuration of a gateway that runs as a pure Orleans client (cluster mode).</summary>
public static class CohortlyClientExtensions
{
    public static IClientBuilder AddCohortlyClient(this IClientBuilder client, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(client);
        var options = CohortlyConfiguration.Read(configuration);
        CohortlyConfiguration.AddOptions(client.Services, configuration);
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        if (options.IsRedis)
        {
            var redis = CohortlyConfiguration.RedisConnectionString(configuration);
            client.UseRedisClustering(redis);
            client.AddRedisStreams(StreamNames.Provider, o => CohortlyConfiguration.ConfigureRedisStreams(o, options, redis), s => s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        }
        else
        {
            client.UseLocalhostClustering(options.Silo.GatewayPort, options.ServiceId, options.ClusterId);
            client.AddMemoryStreams(StreamNames.Provider, s => s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        }

        // The gateway appends accepted events and attributes to the training log (a no-op for events in Redis mode).
        Training.TrainingRegistration.AddLog(client.Services, configuration, options);
        client.AddActivityPropagation();
        return client;
    }
}
