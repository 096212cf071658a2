using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Cohortly.Grains.Hosting;
using Cohortly.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Cohortly.Grains.Tests;

/// <summary>The standalone silo's composition (AddCohortlySilo) serves liveness and readiness on its health port.</summary>
public sealed class SiloHealthTests
{
    [Fact]
    public async Task Standalone_silo_serves_liveness_and_readiness_on_its_health_port()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("cohortly-silo-health-");
        var healthPort = Cohortly.TestSupport.Ports.Free();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args =
            [
                "--Cohortly:Cluster=Embedded",
                $"--Cohortly:Silo:Port={Cohortly.TestSupport.Ports.Free().ToString(CultureInfo.InvariantCulture)}",
                $"--Cohortly:Silo:GatewayPort={Cohortly.TestSupport.Ports.Free().ToString(CultureInfo.InvariantCulture)}",
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

    [Theory]
    [InlineData(SiloStatus.Joining)]
    [InlineData(SiloStatus.ShuttingDown)]
    [InlineData(SiloStatus.Dead)]
    public async Task Readiness_fails_unless_membership_lists_the_silo_as_active(SiloStatus status)
    {
        var self = SiloAddress.New(IPAddress.Loopback, 11111, 1);
        var members = ImmutableDictionary<SiloAddress, ClusterMember>.Empty.Add(self, new ClusterMember(self, status, "silo"));
        var check = new SiloMembershipHealthCheck(new FixedMembership(new ClusterMembershipSnapshot(members, new MembershipVersion(1))), new FixedSilo(self));

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(status.ToString(), result.Data["siloStatus"]);
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

    private sealed class FixedMembership(ClusterMembershipSnapshot snapshot) : IClusterMembershipService
    {
        public ClusterMembershipSnapshot CurrentSnapshot => snapshot;

        public IAsyncEnumerable<ClusterMembershipSnapshot> MembershipUpdates => throw new NotSupportedException();

        public ValueTask Refresh(MembershipVersion minimumVersion = default, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public Task<bool> TryKill(SiloAddress siloAddress) => Task.FromResult(false);
    }

    private sealed class FixedSilo(SiloAddress address) : ILocalSiloDetails
    {
        public string Name => "silo";

        public string ClusterId => "test";

        public string DnsHostName => "localhost";

        public SiloAddress SiloAddress => address;

        public SiloAddress GatewayAddress => address;
    }
}
