using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Cohortly.Gateway.Tests;

/// <summary>What the cluster panel's endpoint and page show with a real Redis: every partition with its owner and lag.</summary>
public sealed class ClusterPanelRedisTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private static object Events(string prefix, int users, int perUser) => new
    {
        events = Enumerable.Range(0, users).SelectMany(u => Enumerable.Range(0, perUser).Select(e => new
        {
            eventId = $"{prefix}-{u}-{e}",
            userId = $"{prefix}-user-{u}",
            itemId = $"item-{e}",
            type = "view",
            timestamp = DateTimeOffset.UtcNow,
        })),
    };

    private static long Sum(JsonNode cluster, string field) =>
        cluster["partitions"]!.AsArray().Sum(p => p![field]?.GetValue<long>() ?? 0);

    [Fact]
    public async Task Cluster_mode_reports_every_partition_with_its_owner_silo_and_numbers_that_add_up()
    {
        var before = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/admin/cluster"));
        var acceptedBefore = before["gateway"]!["eventsAccepted"]!.GetValue<long>();
        var appendedBefore = Sum(before, "appended");
        var appliedBefore = before["eventsApplied"]!.GetValue<long>();

        // 10 users × 3 events in one request and 10 × 1 in another: 20 entries (one per user and request), 40 events.
        (await fixture.App.PostAsJsonAsync("/v1/events", Events("shape-a", 10, 3))).EnsureSuccessStatusCode();
        (await fixture.App.PostAsJsonAsync("/v1/events", Events("shape-b", 10, 1))).EnsureSuccessStatusCode();

        JsonNode cluster = null!;
        await Eventually.True(
            async () =>
            {
                cluster = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/admin/cluster"));
                var partitions = cluster["partitions"]!.AsArray();
                return cluster["eventsApplied"]!.GetValue<long>() - appliedBefore == 40
                    && partitions.All(p => p!["ownerSilo"] is not null && p["lag"]?.GetValue<long>() == 0 && p["pending"]!.GetValue<long>() == 0);
            },
            "every event applied and acknowledged, every partition owned",
            TimeSpan.FromMinutes(1),
            () => cluster?.ToJsonString() ?? "no read");

        Assert.False(cluster["embedded"]!.GetValue<bool>());
        Assert.False(cluster["orleansDashboard"]!.GetValue<bool>()); // off on this cluster's gateway and silo (RedisClusterFixture)
        Assert.Null(cluster["embeddedLog"]);
        Assert.Null(cluster["ingestionBacklog"]);
        Assert.Equal(RedisClusterFixture.Partitions, cluster["partitionCount"]!.GetValue<int>());
        var silo = Assert.Single(cluster["silos"]!.AsArray())!;
        var partitions = cluster["partitions"]!.AsArray();
        Assert.Equal(Enumerable.Range(0, RedisClusterFixture.Partitions), partitions.Select(p => p!["partition"]!.GetValue<int>()));
        Assert.All(partitions, p => Assert.Equal(silo["address"]!.GetValue<string>(), p!["ownerSilo"]!.GetValue<string>()));
        Assert.All(partitions, p => Assert.NotNull(p!["leaseHolder"]));
        Assert.Equal(RedisClusterFixture.Partitions, silo["partitionsOwned"]!.GetValue<int>());
        Assert.Equal(40, silo["eventsApplied"]!.GetValue<long>() - appliedBefore);
        Assert.Equal("none", silo["modelLoadState"]!.GetValue<string>());
        Assert.Null(silo["statsError"]);
        Assert.Equal(40, cluster["gateway"]!["eventsAccepted"]!.GetValue<long>() - acceptedBefore);

        // Entries, not events: one per user per request. Everything appended was delivered and acknowledged.
        Assert.Equal(20, Sum(cluster, "appended") - appendedBefore);
        Assert.Equal(Sum(cluster, "appended"), Sum(cluster, "delivered"));
        Assert.Equal(Sum(cluster, "delivered"), Sum(cluster, "acknowledged"));
        Assert.All(partitions, p => Assert.Equal(0, p!["lagAgeSeconds"]!.GetValue<double>()));
    }

    [Fact]
    public async Task A_client_only_gateway_reads_users_through_the_silos_user_serving_worker()
    {
        // Cluster mode: the gateway hosts no silo, so its IUserReads is the worker of the user's bucket on a silo.
        (await fixture.App.PostAsJsonAsync("/v1/events", Events("reads", 1, 3))).EnsureSuccessStatusCode();
        await Eventually.True(
            async () => await fixture.App.GetAsync("/v1/users/reads-user-0") is { IsSuccessStatusCode: true } r
                && (await TrainedDashboardFixture.Json(r))["counts"]!["view"]!.GetValue<int>() == 3,
            "the user's three views are applied and its profile is read");

        var recommendations = await fixture.App.GetAsync("/v1/users/reads-user-0/recommendations?count=3");
        Assert.True(recommendations.IsSuccessStatusCode, await recommendations.Content.ReadAsStringAsync());
        var body = await TrainedDashboardFixture.Json(recommendations);
        Assert.Equal("reads-user-0", body["userId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Panel_shows_a_row_per_partition_with_its_owner_the_lag_chart_and_clears_on_a_failed_refresh()
    {
        (await fixture.App.PostAsJsonAsync("/v1/events", Events("panel", 12, 2))).EnsureSuccessStatusCode();
        var cluster = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/admin/cluster"));
        var silo = cluster["silos"]!.AsArray()[0]!["address"]!.GetValue<string>();

        var page = await fixture.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync($"http://localhost:{fixture.Port}/#cluster-panel");
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#key-role")).ToHaveTextAsync("admin (admin)");

        var rows = page.Locator("#partitions tbody tr.partition");
        await Assertions.Expect(rows).ToHaveCountAsync(RedisClusterFixture.Partitions);
        for (var p = 0; p < RedisClusterFixture.Partitions; p++)
        {
            await Assertions.Expect(page.Locator($"#partitions tr[data-partition='{p}'] .partition-owner")).ToHaveTextAsync(silo);
        }

        await Assertions.Expect(page.Locator("#silos tbody tr.silo .silo-status")).ToHaveTextAsync("Active");
        // No link to pages this gateway does not serve: the note says the Orleans Dashboard is off and how to turn it on.
        await Assertions.Expect(page.Locator("#orleans-note")).ToContainTextAsync("Cohortly:OrleansDashboard:Enabled");
        await Assertions.Expect(page.Locator("#orleans-link")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#cluster-lag-chart")).ToHaveAttributeAsync("data-series", RedisClusterFixture.Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Traffic between refreshes: the next refreshes (every 5 s) give rates, so the rate chart has points and the
        // summary a per-second figure above zero.
        using var traffic = new CancellationTokenSource();
        var sender = Task.Run(async () =>
        {
            for (var round = 0; !traffic.IsCancellationRequested; round++)
            {
                (await fixture.App.PostAsJsonAsync("/v1/events", Events($"flow-{round}", 8, 2))).EnsureSuccessStatusCode();
                await Task.Delay(200);
            }
        });
        await Assertions.Expect(page.Locator("#rate-appended")).ToContainTextAsync("entries/s", new() { Timeout = 20_000 });
        await Eventually.True(
            async () => await page.EvaluateAsync<bool>("() => Chart.getChart('cluster-rate-chart').data.datasets.every(d => d.data.length >= 2 && d.data[d.data.length - 1].y > 0)"),
            "every rate series has two points and a rate above zero",
            TimeSpan.FromSeconds(40));
        await traffic.CancelAsync();
        await sender;
        await Assertions.Expect(page.Locator("#ingestion-rate")).ToContainTextAsync("events/s");
        Directory.CreateDirectory(Screenshots);
        await page.Locator("#cluster-panel").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Screenshots, "cluster-redis.png") });

        // A failed refresh clears the panel (no partition rows, no charts) and lists the error until dismissed.
        await page.RouteAsync("**/v1/admin/cluster", route => route.FulfillAsync(new RouteFulfillOptions { Status = 500, ContentType = "application/problem+json", Body = """{"title":"planted failure","status":500}""" }));
        await Assertions.Expect(page.Locator("#cluster")).ToContainTextAsync("Not loaded: 500", new() { Timeout = 20_000 });
        await Assertions.Expect(rows).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#cluster-lag-chart")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#errors .error-text", new() { HasTextString = "Cluster: 500" })).ToHaveCountAsync(1);

        // Back again: rows return, the error stays listed until dismissed.
        await page.UnrouteAsync("**/v1/admin/cluster");
        await Assertions.Expect(rows).ToHaveCountAsync(RedisClusterFixture.Partitions, new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#errors .error-text", new() { HasTextString = "Cluster: 500" })).ToHaveCountAsync(1);
    }
}

/// <summary>The same endpoint embedded: no partitions are invented; the in-memory backlog is the equivalent.</summary>
public sealed class ClusterPanelEmbeddedTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Embedded_mode_reports_the_in_memory_backlog_instead_of_partitions_and_the_gateways_own_counters()
    {
        using var admin = factory.Admin();
        using var app = factory.App();
        var before = await TrainedDashboardFixture.Json(await admin.GetAsync("/v1/admin/cluster"));
        var accepted = before["gateway"]!["eventsAccepted"]!.GetValue<long>();
        var published = before["embeddedLog"]!["published"]!.GetValue<long>();
        var events = Enumerable.Range(0, 15).Select(i => new { eventId = $"emb-{i}", userId = $"emb-user-{i % 5}", itemId = "item-1", type = "view", timestamp = DateTimeOffset.UtcNow });
        var bad = new { eventId = "emb-bad", userId = "emb-user-0", itemId = "item-1", type = "no-such-type", timestamp = DateTimeOffset.UtcNow };
        (await app.PostAsJsonAsync("/v1/events", new { events = events.Cast<object>().Append(bad) })).EnsureSuccessStatusCode();

        JsonNode cluster = null!;
        await Eventually.True(
            async () =>
            {
                cluster = await TrainedDashboardFixture.Json(await admin.GetAsync("/v1/admin/cluster"));
                return cluster["embeddedLog"]!["backlog"]!.GetValue<long>() == 0 && cluster["embeddedLog"]!["published"]!.GetValue<long>() - published == 15;
            },
            "the embedded backlog drains",
            TimeSpan.FromSeconds(30),
            () => cluster?.ToJsonString() ?? "no read");

        Assert.True(cluster["embedded"]!.GetValue<bool>());
        Assert.True(cluster["orleansDashboard"]!.GetValue<bool>()); // GatewayFactory turns it on
        Assert.Empty(cluster["partitions"]!.AsArray());
        Assert.Equal(0, cluster["partitionCount"]!.GetValue<int>());
        Assert.Equal(0, cluster["ingestionBacklog"]!.GetValue<long>());
        var log = cluster["embeddedLog"]!;
        Assert.Equal(log["published"]!.GetValue<long>(), log["applied"]!.GetValue<long>());
        Assert.Equal(20_000, log["maxBacklog"]!.GetValue<long>());
        var silo = Assert.Single(cluster["silos"]!.AsArray())!;
        Assert.Equal(log["applied"]!.GetValue<long>(), silo["eventsApplied"]!.GetValue<long>());
        Assert.Equal(cluster["eventsApplied"]!.GetValue<long>(), silo["eventsApplied"]!.GetValue<long>());
        Assert.Null(silo["partitionsOwned"]);
        Assert.Equal(15, cluster["gateway"]!["eventsAccepted"]!.GetValue<long>() - accepted);
        Assert.True(cluster["gateway"]!["eventsRejected"]!.GetValue<long>() >= 1);
    }
}
