using Cohortly.Grains.Hosting;
using Cohortly.Grains.Hosting.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cohortly.Grains.Training;

/// <summary>
/// One lazily opened multiplexer for Cohortly's own keys (user attributes, model artifacts) in cluster mode,
/// under <c>cohortly:{ServiceId}:</c> like the stream keys. Connects with the cluster's <see cref="RedisConnection"/>.
/// </summary>
public sealed class CohortlyRedis(RedisConnection redis, IOptions<CohortlyOptions> options) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection = new(() => ConnectionMultiplexer.ConnectAsync(redis.Options()));

    /// <summary>A connection string without <c>Cohortly:Redis</c> settings (tests, tools).</summary>
    public CohortlyRedis(string connectionString, IOptions<CohortlyOptions> options)
        : this(RedisConnection.Plain(connectionString), options)
    {
    }

    public string Prefix { get; } = $"cohortly:{options.Value.ServiceId}:";

    public async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken) =>
        (await _connection.Value.WaitAsync(cancellationToken)).GetDatabase();

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully)
        {
            await _connection.Value.Result.DisposeAsync();
        }
    }
}
