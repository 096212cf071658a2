using System.Globalization;
using Cohortly.Grains.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// Cluster mode in one test process: a real redis-server, one silo host (the standalone silo's own
/// <see cref="CohortlySiloHost.AddCohortlySilo"/>) and the gateway as a Redis-mode Orleans client behind Kestrel, plus
/// Chromium for the panel. Cheaper than the process drills (no child processes to build and start) and the same code
/// paths: membership, streams and partition leases all go through Redis.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    public const int Partitions = 4;

    private readonly string _clusterId = $"gw-{Guid.NewGuid():N}"[..16];
    private RedisServer? _redis;
    private IHost? _silo;
    private RedisGatewayFactory? _gateway;
    private HeadlessChromium? _chromium;

    public int Port { get; } = GatewayFactory.FreePort();

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient App { get; private set; } = null!;

    public IBrowser Browser => _chromium?.Browser ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var shared = new Dictionary<string, string?>
        {
            ["Cohortly:Cluster"] = "Redis",
            ["ConnectionStrings:Redis"] = _redis.ConnectionString,
            ["Cohortly:ClusterId"] = _clusterId,
            ["Cohortly:Streams:Partitions"] = Partitions.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in FastLoops.InProcess)
        {
            shared[key] = value;
        }

        // The same value on the silo and the gateway (GatewayFactory's settings turn it on for the embedded tests); off,
        // as silo processes and cluster gateways have it by default (OrleansDashboardSettingTests).
        shared[Cohortly.Grains.Hosting.CohortlyOrleansDashboard.EnabledKey] = "false";

        var silo = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
        silo.Configuration.AddInMemoryCollection(shared);
        silo.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cohortly:Silo:Port"] = GatewayFactory.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Cohortly:Silo:GatewayPort"] = GatewayFactory.FreePort().ToString(CultureInfo.InvariantCulture),
        });
        silo.AddCohortlySilo();
        _silo = silo.Build();
        await _silo.StartAsync();

        _gateway = new RedisGatewayFactory(shared);
        _gateway.UseKestrel(Port);
        _gateway.StartServer();
        Admin = GatewayFactory.LoopbackClient(Port, GatewayFactory.AdminKey);
        App = GatewayFactory.LoopbackClient(Port, GatewayFactory.AppKey);
        await Eventually.True(async () => (await Admin.GetAsync("/readyz")).IsSuccessStatusCode, "the Redis-mode gateway reaches the silo", TimeSpan.FromMinutes(1));

        _chromium = await HeadlessChromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }

        Admin?.Dispose();
        App?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private sealed class RedisGatewayFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            GatewayFactory.Configure(builder);
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
