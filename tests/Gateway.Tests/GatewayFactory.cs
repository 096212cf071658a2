using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Cohortly.Gateway.Tests;

/// <summary>The real gateway in embedded mode (in-process silo on free ports), demo traffic off.</summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public const string AppKey = "test-app-key";
    public const string AdminKey = "test-admin-key";

    protected override void ConfigureWebHost(IWebHostBuilder builder) => Configure(builder);

    /// <summary>The test settings, shared with <see cref="KestrelGatewayFactory"/>.</summary>
    public static void Configure(IWebHostBuilder builder)
    {
        // UseSetting (not ConfigureAppConfiguration) so Program sees the values while it builds the host.
        builder.UseSetting("Cohortly:Silo:Port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Cohortly:Silo:GatewayPort", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Cohortly:ApiKeys:App", AppKey);
        builder.UseSetting("Cohortly:ApiKeys:Admin", AdminKey);
        builder.UseSetting("Cohortly:Demo:Enabled", "false");
        builder.UseSetting("Cohortly:Flush", "00:00:00.100");
        builder.UseSetting("Cohortly:CachePoll", "00:00:00.100");
        builder.UseSetting("Cohortly:Segmentation:SamplePush", "00:00:00.200");
        builder.UseSetting("Cohortly:Segmentation:MinUsers", "1000000");
        builder.UseSetting("Cohortly:Segmentation:K", "3");
    }

    public HttpClient App() => WithKey(AppKey);

    public HttpClient Admin() => WithKey(AdminKey);

    private HttpClient WithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    public static int FreePort() => Cohortly.ClusterProcesses.Ports.Free();
}

/// <summary>
/// The same gateway behind real Kestrel on a loopback port, for what the in-memory test server does not do
/// (Kestrel's request-line limit answers before any middleware).
/// </summary>
public sealed class KestrelGatewayFactory : WebApplicationFactory<Program>
{
    public KestrelGatewayFactory()
    {
        UseKestrel(GatewayFactory.FreePort());
        StartServer();
    }

    public HttpClient App()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", GatewayFactory.AppKey);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder) => GatewayFactory.Configure(builder);
}

public static class Eventually
{
    public static async Task True(Func<Task<bool>> condition, string description, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {description}");
            }

            await Task.Delay(50);
        }
    }

    public static async Task<T> Value<T>(Func<Task<T>> read, Func<T, bool> done, string description = "the value is ready", TimeSpan? timeout = null)
    {
        var value = await read();
        await True(async () => done(value = await read()), description, timeout);
        return value;
    }
}
