using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Events;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using StackExchange.Redis;

namespace Cohortly.Grains.Tests;

/// <summary>A throw-away redis-server (no persistence) on a free loopback port.</summary>
public sealed class TrainingRedis : IAsyncLifetime
{
    private Process? _process;

    public string ConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        ConnectionString = $"127.0.0.1:{port},abortConnect=false";
        await using var probe = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
        await Eventually.True(async () =>
        {
            try
            {
                await probe.GetDatabase().PingAsync();
                return true;
            }
            catch (RedisConnectionException)
            {
                return false;
            }
        }, "redis-server answers PING", TimeSpan.FromSeconds(20));
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class TrainingRedisTests(TrainingRedis redis) : IClassFixture<TrainingRedis>
{
    private static readonly IOptions<CohortlyOptions> Options = Microsoft.Extensions.Options.Options.Create(new CohortlyOptions { Cluster = "Redis", ServiceId = "training-tests" });

    [Fact]
    public async Task Redis_model_store_saves_loads_and_deletes_versions()
    {
        await using var connection = new CohortlyRedis(redis.ConnectionString, Options);
        var store = new RedisModelStore(connection);
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();

        await store.SaveAsync(3, bytes, CancellationToken.None);
        Assert.Equal(bytes, await store.LoadAsync(3, CancellationToken.None));
        Assert.Null(await store.LoadAsync(4, CancellationToken.None));

        await store.DeleteAsync(3, CancellationToken.None);
        Assert.Null(await store.LoadAsync(3, CancellationToken.None));
    }

    [Fact]
    public async Task Redis_log_keeps_the_latest_attributes_per_user_and_reads_events_from_the_streams()
    {
        await using var connection = new CohortlyRedis(redis.ConnectionString, Options);
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var services = new ServiceCollection();
        services.AddSerializer();
        services.AddKeyedSingleton(StreamNames.Provider, (sp, _) => new RedisStreamEventLogReader(
            StreamNames.Provider,
            new RedisStreamOptions { KeyPrefix = "training-tests:stream", PartitionCount = 2 },
            multiplexer,
            sp.GetRequiredService<Serializer>()));
        await using var provider = services.BuildServiceProvider();
        var log = new RedisInteractionLog(connection, provider);

        // Events are already in the streams in cluster mode: appending is a no-op and must not fail.
        await log.AppendAsync([new InteractionEvent("e1", "u1", "i1", InteractionType.View, null, DateTimeOffset.UtcNow, null, DateTimeOffset.UtcNow)], CancellationToken.None);
        await log.AppendAttributesAsync("u1", new Dictionary<string, string> { ["country"] = "de" }, CancellationToken.None);
        await log.AppendAttributesAsync("u2", new Dictionary<string, string> { ["country"] = "it" }, CancellationToken.None);
        await log.AppendAttributesAsync("u1", new Dictionary<string, string> { ["country"] = "fr", ["age"] = "18-24" }, CancellationToken.None);

        var read = await log.ReadAsync(DateTimeOffset.UtcNow.AddDays(-1), CancellationToken.None);

        Assert.Empty(read.Events);
        Assert.Equal([("u1", "fr"), ("u2", "it")], read.Attributes.Select(a => (a.UserId, a.Attributes["country"])));
        Assert.Equal("18-24", read.Attributes[0].Attributes["age"]);
    }
}
