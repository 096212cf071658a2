using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Cohortly.Gateway.Tests;

/// <summary>The real gateway in embedded mode (in-process silo on free ports), demo traffic off.</summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public const string AppKey = "test-app-key";
    public const string AdminKey = "test-admin-key";
    public const string AnalystKey = "test-analyst-key";

    /// <summary>A named app client in the middle of a rotation: both keys are valid.</summary>
    public const string ShopName = "shop-web";
    public const string ShopKey = "test-shop-web-key-2";
    public const string ShopPreviousKey = "test-shop-web-key-1";

    /// <summary>A second, named admin key.</summary>
    public const string OpsName = "ops-console";
    public const string OpsKey = "test-ops-console-key";

    protected override void ConfigureWebHost(IWebHostBuilder builder) => Configure(builder);

    /// <summary>The test settings, shared with <see cref="KestrelGatewayFactory"/>.</summary>
    public static void Configure(IWebHostBuilder builder)
    {
        // UseSetting (not ConfigureAppConfiguration) so Program sees the values while it builds the host.
        builder.UseSetting("Cohortly:Silo:Port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Cohortly:Silo:GatewayPort", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Cohortly:ApiKeys:App", AppKey);
        builder.UseSetting("Cohortly:ApiKeys:Admin", AdminKey);
        builder.UseSetting("Cohortly:ApiKeys:Analyst", AnalystKey);
        builder.UseSetting("Cohortly:ApiKeys:Keys:0:Name", ShopName);
        builder.UseSetting("Cohortly:ApiKeys:Keys:0:Role", "app");
        builder.UseSetting("Cohortly:ApiKeys:Keys:0:Key", ShopKey);
        builder.UseSetting("Cohortly:ApiKeys:Keys:0:PreviousKey", ShopPreviousKey);
        builder.UseSetting("Cohortly:ApiKeys:Keys:1:Name", OpsName);
        builder.UseSetting("Cohortly:ApiKeys:Keys:1:Role", "admin");
        builder.UseSetting("Cohortly:ApiKeys:Keys:1:Key", OpsKey);
        builder.UseSetting("Cohortly:Demo:Enabled", "false");
        // Off by default without the demo; the access and dashboard tests cover its pages behind the admin policy.
        builder.UseSetting(Grains.Hosting.CohortlyOrleansDashboard.EnabledKey, "true");
        foreach (var (key, value) in FastLoops.InProcess)
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("Cohortly:Segmentation:K", "3");
    }

    public HttpClient App() => WithKey(AppKey);

    public HttpClient Admin() => WithKey(AdminKey);

    public HttpClient Analyst() => WithKey(AnalystKey);

    public HttpClient WithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    public static int FreePort() => Ports.Free();

    /// <summary>A client of a gateway behind Kestrel on <paramref name="port"/>, sending <paramref name="key"/> when given.</summary>
    public static HttpClient LoopbackClient(int port, string? key)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://localhost:{port}") };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        return client;
    }
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
