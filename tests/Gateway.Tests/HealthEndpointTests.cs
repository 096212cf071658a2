using System.Net;
using System.Text.Json.Nodes;

namespace Cohortly.Gateway.Tests;

public sealed class HealthEndpointTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Healthz_says_alive_and_readyz_reports_the_catalog_version_without_a_key()
    {
        var client = factory.CreateClient();

        var live = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("""{"status":"alive"}""", await live.Content.ReadAsStringAsync());

        var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.Equal("ready", body["status"]!.GetValue<string>());
        Assert.True(body["catalogVersion"]!.GetValue<long>() >= 0);
    }
}
