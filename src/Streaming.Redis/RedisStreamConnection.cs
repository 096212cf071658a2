using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// The provider's one multiplexer, shared by the producer, every partition receiver and the
/// event-log reader. Connects on first use; a failed attempt is not cached, so the next call
/// retries.
/// </summary>
internal sealed partial class RedisStreamConnection : IAsyncDisposable
{
    private readonly string _providerName;
    private readonly RedisStreamOptions _options;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnectionMultiplexer? _multiplexer;
    private bool _owned;

    public RedisStreamConnection(string providerName, RedisStreamOptions options, IServiceProvider services, ILogger<RedisStreamConnection> logger)
    {
        _providerName = providerName;
        _options = options;
        _services = services;
        _logger = logger;
    }

    /// <summary>Wraps a multiplexer the caller owns (the offline event-log reader).</summary>
    public RedisStreamConnection(string providerName, IConnectionMultiplexer multiplexer, ILogger logger)
    {
        _providerName = providerName;
        _options = new RedisStreamOptions();
        _services = EmptyServiceProvider.Instance;
        _logger = logger;
        _multiplexer = multiplexer;
        _owned = false;
    }

    public async Task<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
    {
        var existing = Volatile.Read(ref _multiplexer);
        if (existing is not null)
        {
            return existing.GetDatabase();
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_multiplexer is null)
            {
                IConnectionMultiplexer created;
                if (_options.ConnectionFactory is { } factory)
                {
                    created = await factory(_services).ConfigureAwait(false);
                    _owned = false;
                }
                else
                {
                    created = _options.Configuration is { } configuration
                        ? await ConnectionMultiplexer.ConnectAsync(configuration.Clone()).ConfigureAwait(false)
                        : await ConnectionMultiplexer.ConnectAsync(_options.ConnectionString!).ConfigureAwait(false);
                    _owned = true;
                }

                LogConnected(_providerName);
                Volatile.Write(ref _multiplexer, created);
            }

            return _multiplexer.GetDatabase();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        var multiplexer = Interlocked.Exchange(ref _multiplexer, null);
        if (multiplexer is not null && _owned)
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis stream provider {Provider} connected to Redis.")]
    private partial void LogConnected(string provider);

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
