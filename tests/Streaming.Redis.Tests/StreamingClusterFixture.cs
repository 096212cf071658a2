using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>
/// One in-process silo and a client, both with the Redis provider (the client only produces, like
/// the gateway), over their own redis-server.
/// </summary>
public sealed class StreamingClusterFixture : IAsyncLifetime
{
    public const string ProviderName = "redis";
    public const string Namespace = "interactions";

    private RedisServer? _redis;
    private InProcessTestCluster? _cluster;

    public RedisServer Redis => _redis ?? throw new InvalidOperationException("Not started.");

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    public string KeyPrefix { get; } = $"cluster:{Guid.NewGuid():N}";

    public CapturedLogs Logs { get; } = new();

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var connection = _redis.ConnectionString;
        void Configure(RedisStreamOptions options)
        {
            options.ConnectionString = connection;
            options.KeyPrefix = KeyPrefix;
            options.PartitionCount = 4;
        }

        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo
            .ConfigureLogging(logging => logging.AddProvider(Logs))
            .AddMemoryGrainStorage("PubSubStore")
            .AddRedisStreams(ProviderName, Configure));
        builder.ConfigureClient(client => client.AddRedisStreams(ProviderName, Configure));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StreamingClusterCollection : ICollectionFixture<StreamingClusterFixture>
{
    public const string Name = "cluster";
}
