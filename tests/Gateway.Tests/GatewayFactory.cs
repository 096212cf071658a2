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
        foreach (var (key, value) in FastLoops.InProcess)
        {
            builder.UseSetting(key, value);
        }

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

    public static int FreePort() => Ports.Free();
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
