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

    private RedisStreamingCluster? _started;

    public RedisServer Redis => _started?.Redis ?? throw new InvalidOperationException("Not started.");

    public InProcessTestCluster Cluster => _started?.Cluster ?? throw new InvalidOperationException("Not started.");

    public string KeyPrefix { get; } = $"cluster:{Guid.NewGuid():N}";

    public CapturedLogs Logs { get; } = new();

    public async Task InitializeAsync() => _started = await RedisStreamingCluster.StartAsync(
        ProviderName,
        silos: 1,
        options =>
        {
            options.KeyPrefix = KeyPrefix;
            options.PartitionCount = 4;
        },
        silo => silo.ConfigureLogging(logging => logging.AddProvider(Logs)));

    public async Task DisposeAsync()
    {
        if (_started is not null)
        {
            await _started.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StreamingClusterCollection : ICollectionFixture<StreamingClusterFixture>
{
    public const string Name = "cluster";
}
