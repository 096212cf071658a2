using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cohortly.Grains.Training;

/// <summary>
/// One lazily opened multiplexer for Cohortly's own keys (user attributes, model artifacts) in cluster mode,
/// under <c>cohortly:{ServiceId}:</c> like the stream keys.
/// </summary>
public sealed class CohortlyRedis(string connectionString, IOptions<CohortlyOptions> options) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection = new(() => ConnectionMultiplexer.ConnectAsync(connectionString));

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
