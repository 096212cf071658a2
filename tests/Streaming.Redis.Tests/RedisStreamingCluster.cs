using Orleans.Hosting;
using Orleans.TestingHost;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>
/// A redis-server of its own and an in-process cluster over it: every silo and the client (which only produces, like
/// the gateway) have the Redis stream provider, the silos memory PubSub storage.
/// </summary>
public sealed class RedisStreamingCluster : IAsyncDisposable
{
    private RedisStreamingCluster(RedisServer redis, InProcessTestCluster cluster)
    {
        Redis = redis;
        Cluster = cluster;
    }

    public RedisServer Redis { get; }

    public InProcessTestCluster Cluster { get; }

    /// <param name="provider">The provider's name.</param>
    /// <param name="silos">How many silos.</param>
    /// <param name="configure">The provider's options after the connection string (set to the server's).</param>
    /// <param name="silo">What a test adds to each silo (logging, collection ages).</param>
    public static async Task<RedisStreamingCluster> StartAsync(string provider, int silos, Action<RedisStreamOptions> configure, Action<ISiloBuilder>? silo = null)
    {
        var redis = await RedisServer.StartAsync();
        InProcessTestCluster? cluster = null;
        try
        {
            var connection = redis.ConnectionString;
            void Configure(RedisStreamOptions options)
            {
                options.ConnectionString = connection;
                configure(options);
            }

            var builder = new InProcessTestClusterBuilder((short)silos);
            builder.ConfigureSilo((_, s) =>
            {
                s.AddMemoryGrainStorage("PubSubStore").AddRedisStreams(provider, Configure);
                silo?.Invoke(s);
            });
            builder.ConfigureClient(client => client.AddRedisStreams(provider, Configure));
            cluster = builder.Build();
            await cluster.DeployAsync();
            return new RedisStreamingCluster(redis, cluster);
        }
        catch
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            await redis.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
