using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Cohortly.Grains.Hosting;
using Cohortly.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cohortly.Grains.Tests;

/// <summary>The standalone silo's composition (AddCohortlySilo) serves liveness and readiness on its health port.</summary>
public sealed class SiloHealthTests
{
    [Fact]
    public async Task Standalone_silo_serves_liveness_and_readiness_on_its_health_port()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("cohortly-silo-health-");
        var healthPort = Cohortly.ClusterProcesses.Ports.Free();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args =
            [
                "--Cohortly:Cluster=Embedded",
                $"--Cohortly:Silo:Port={Cohortly.ClusterProcesses.Ports.Free().ToString(CultureInfo.InvariantCulture)}",
                $"--Cohortly:Silo:GatewayPort={Cohortly.ClusterProcesses.Ports.Free().ToString(CultureInfo.InvariantCulture)}",
                $"--Cohortly:Silo:HealthPort={healthPort.ToString(CultureInfo.InvariantCulture)}",
                $"--Cohortly:Training:DataDirectory={dataDirectory.FullName}",
            ],
        });
        builder.AddCohortlySilo();
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
            Assert.Equal(healthPort, host.Services.GetRequiredService<HealthListener>().BoundPort);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{healthPort.ToString(CultureInfo.InvariantCulture)}") };

            var live = await http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("alive", JsonNode.Parse(await live.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());

            await Eventually.True(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the silo reports ready");
            var ready = JsonNode.Parse(await http.GetStringAsync("/readyz"))!;
            Assert.Equal("ready", ready["status"]!.GetValue<string>());
            Assert.Equal("Active", ready["siloStatus"]!.GetValue<string>());
        }
        finally
        {
            await host.StopAsync();
            dataDirectory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Health_port_zero_starts_no_listener()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = ["--Cohortly:Cluster=Embedded"] });
        builder.AddCohortlySilo();
        using var host = builder.Build();
        var listener = host.Services.GetRequiredService<HealthListener>();

        // Only the listener starts: the silo is not needed to see that port 0 opens nothing.
        await listener.StartAsync(CancellationToken.None);

        Assert.Null(listener.BoundPort);
    }
}
