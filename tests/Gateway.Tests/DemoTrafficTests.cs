using System.Text.Json.Nodes;
using Cohortly.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Cohortly.Gateway.Tests;

/// <summary>The gateway of <see cref="GatewayFactory"/> with the demo on: a small world, a short history, a bounded number of live sessions.</summary>
public sealed class DemoGatewayFactory : WebApplicationFactory<Program>
{
    public const int Sessions = 100;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        GatewayFactory.Configure(builder);
        builder.UseSetting("Cohortly:Demo:Enabled", "true");
        builder.UseSetting("Cohortly:Demo:Users", "40");
        builder.UseSetting("Cohortly:Demo:Items", "200");
        builder.UseSetting("Cohortly:Demo:Categories", "8");
        builder.UseSetting("Cohortly:Demo:HistoryDays", "3");
        builder.UseSetting("Cohortly:Demo:SessionsPerSecond", "20");
        builder.UseSetting("Cohortly:Demo:MaxSessions", Sessions.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Cohortly:Demo:TrainAfterHistory", "false");
    }
}

public sealed class DemoTrafficTests(DemoGatewayFactory factory) : IClassFixture<DemoGatewayFactory>
{
    [Fact]
    public async Task Demo_shoppers_ask_for_recommendations_and_their_clicks_are_attributed_in_the_outcomes()
    {
        var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Add("X-Api-Key", GatewayFactory.AdminKey);
        var now = DateTimeOffset.UtcNow;
        var from = Uri.EscapeDataString(now.AddMinutes(-10).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(now.AddMinutes(10).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        JsonNode? body = null;
        long Sum(string metric) => body!["groups"]!.AsArray().Sum(g => (long)g!["total"]![metric]!);

        // Every live session asks for a list (RecommendationShare 1) and the shoppers answer with its id and slot, so
        // exposures and attributed clicks fill in without anything but the demo sending traffic.
        await Eventually.True(
            async () =>
            {
                var response = await admin.GetAsync($"/v1/outcomes?from={from}&to={to}&granularity=minute&groupBy=strategy");
                body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
                return response.IsSuccessStatusCode && Sum("exposures") >= 10 && Sum("clicks") > 0 && Sum("clickedExposures") > 0;
            },
            "the demo's exposures and attributed clicks reach GET /v1/outcomes",
            TimeSpan.FromSeconds(90),
            () => body?.ToJsonString() ?? "no answer");

        Assert.InRange(Sum("exposures"), 10, DemoGatewayFactory.Sessions);
        Assert.True(Sum("impressions") >= Sum("exposures"));
        Assert.True(Sum("clickedExposures") <= Sum("exposures"));
    }

    [Fact]
    public async Task The_demo_experiment_starts_once_and_a_stopped_one_is_not_taken_for_running()
    {
        var cluster = factory.Services.GetRequiredService<Cohortly.Demo.IDemoCluster>();
        var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Add("X-Api-Key", GatewayFactory.AdminKey);

        Assert.Null(await cluster.StartExperimentAsync("demo-test-exp", CancellationToken.None));
        Assert.Null(await cluster.StartExperimentAsync("demo-test-exp", CancellationToken.None));
        var listed = JsonNode.Parse(await (await admin.GetAsync("/v1/experiments/demo-test-exp")).Content.ReadAsStringAsync())!;
        Assert.Equal("running", (string?)listed["status"]);
        Assert.Equal(["global-baseline", "cohort-model"], listed["variants"]!.AsArray().Select(v => (string?)v!["name"]));

        var stopped = await admin.PostAsync("/v1/experiments/demo-test-exp/stop", null);
        Assert.True(stopped.IsSuccessStatusCode, await stopped.Content.ReadAsStringAsync());
        Assert.NotNull(await cluster.StartExperimentAsync("demo-test-exp", CancellationToken.None));
    }
}
