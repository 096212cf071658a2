namespace Cohortly.Streaming.Redis.Tests;

/// <summary>One redis-server shared by the tests of the "redis" collection.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("Redis has not started.");

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}
