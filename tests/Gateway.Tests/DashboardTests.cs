using System.Net.Http.Json;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Microsoft.Playwright;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// The analyst dashboard in a real browser (Debian's Chromium through Playwright; never a
/// downloaded browser) against the gateway on a real Kestrel port.
/// </summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private readonly GatewayFactory _factory = new();
    private readonly int _port = GatewayFactory.FreePort();
    private HeadlessChromium? _chromium;

    private IBrowser Browser => _chromium?.Browser ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _factory.UseKestrel(_port);
        _factory.StartServer();
        _chromium = await HeadlessChromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }

        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Analyst_sees_labelled_cohorts_and_looks_up_a_user()
    {
        using var admin = GatewayFactory.LoopbackClient(_port, GatewayFactory.AdminKey);
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 60, Items = 200, UserPrefix = "dash-" }, seed: 12);
        (await admin.PutAsJsonAsync("/v1/items", new { items = world.Items.Select(i => new { id = i.Id, title = i.Title, categories = new[] { i.Category }, price = i.Price }) })).EnsureSuccessStatusCode();
        await WireEvents.PostAccepted(admin, world.History(DateTimeOffset.UtcNow, 14, new Random(2)), device: false);

        string[] labels = [];
        await Eventually.True(async () =>
        {
            var response = await admin.PostAsync("/v1/admin/segmentation", null);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            var version = await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonNode>();
            labels = [.. version!["cohorts"]!.AsArray().Select(c => c!["label"]!.GetValue<string>())];
            return version["sampleSize"]!.GetValue<int>() == 60;
        }, "all users are sampled");

        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"http://localhost:{_port}/");
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        await page.WaitForSelectorAsync(".card h3");
        await Assertions.Expect(page.Locator(".card")).ToHaveCountAsync(3);

        var headings = await page.Locator(".card h3").AllInnerTextsAsync();
        foreach (var label in labels)
        {
            Assert.Contains(headings, h => h.EndsWith(label, StringComparison.Ordinal));
        }

        Assert.Equal("60", await page.InnerTextAsync("#sample"));
        var shares = await page.Locator(".card .size").AllInnerTextsAsync();
        var total = shares.Where(t => t.Contains("% of sampled users", StringComparison.Ordinal)).Sum(t => int.Parse(t[..t.IndexOf('%', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(total, 98, 102);
        Assert.NotEqual("–", await page.InnerTextAsync("#version"));

        await page.FillAsync("#user-id", world.Users[0].Id);
        await page.ClickAsync("#user-form button");
        await Assertions.Expect(page.Locator("#user .user-card .user-cohort")).ToContainTextAsync("#");
        await Assertions.Expect(page.Locator("#recommendations ol.recs > li")).ToHaveCountAsync(5);
        await Assertions.Expect(page.Locator("#recommendations .recs-model")).ToHaveTextAsync("no trained model");
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync("none yet");
        await Assertions.Expect(page.Locator("#models tbody")).ToContainTextAsync("No model trained yet.");
        await Assertions.Expect(page.Locator("#training-state")).ToHaveTextAsync("idle");
        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "untrained.png"), FullPage = true });
    }

    [Fact]
    public async Task Training_without_any_events_fails_and_the_panel_shows_why_and_allows_another_run()
    {
        using var admin = GatewayFactory.LoopbackClient(_port, GatewayFactory.AdminKey);
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"http://localhost:{_port}/");
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#training-error")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#train-now")).ToBeEnabledAsync();

        await page.ClickAsync("#train-now");
        await Assertions.Expect(page.Locator("#training-state")).ToHaveTextAsync("failed", new() { Timeout = 60_000 });
        var status = System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync("/v1/admin/training"))!;
        Assert.Equal("failed", status["state"]!.GetValue<string>());
        var error = status["error"]!.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(error));
        await Assertions.Expect(page.Locator("#training-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#training-error")).ToHaveTextAsync($"Last run failed: {error}");
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync("none yet");
        await Assertions.Expect(page.Locator("#train-now")).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Analyst_key_reads_the_dashboard_without_the_action_buttons_and_an_admin_key_sees_the_audit_trail()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"http://localhost:{_port}/");
        await page.FillAsync("#api-key", GatewayFactory.AnalystKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#key-role")).ToHaveTextAsync("analyst (analyst, read-only)");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("updated");
        await Assertions.Expect(page.Locator("#training-state")).ToHaveTextAsync("idle");
        await Assertions.Expect(page.Locator("#recluster")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#train-now")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#audit-panel")).ToBeHiddenAsync();

        // An admin action (refused: no users yet) goes into the audit trail the admin view shows.
        using var ops = GatewayFactory.LoopbackClient(_port, GatewayFactory.OpsKey);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, (await ops.PostAsync("/v1/admin/segmentation", null)).StatusCode);

        // The same page with an admin key offers the actions again, and the audit trail.
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#key-role")).ToHaveTextAsync("admin (admin)");
        await Assertions.Expect(page.Locator("#recluster")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#train-now")).ToBeVisibleAsync();
        var entry = page.Locator("#audit tr.audit-entry").Filter(new() { HasText = GatewayFactory.OpsName });
        await Assertions.Expect(entry.Locator(".audit-action")).ToHaveTextAsync("POST /v1/admin/segmentation");
        await Assertions.Expect(entry.Locator(".audit-status")).ToHaveTextAsync("409");
    }

    [Fact]
    public async Task Wrong_key_clears_every_panel_and_keeps_the_401_listed_until_dismissed()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"http://localhost:{_port}/");
        await Assertions.Expect(page.Locator("#models tbody")).ToContainTextAsync("Not loaded");
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#training-state")).ToHaveTextAsync("idle");
        await Assertions.Expect(page.Locator("#version")).ToHaveTextAsync("none yet");
        await Assertions.Expect(page.Locator("#models tbody")).ToContainTextAsync("No model trained yet.");

        await page.FillAsync("#api-key", "wrong");
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#errors li")).ToContainTextAsync("401");
        await Assertions.Expect(page.Locator("#training-state")).ToHaveTextAsync("–");
        await Assertions.Expect(page.Locator("#version")).ToHaveTextAsync("–");
        await Assertions.Expect(page.Locator("#models tbody")).ToContainTextAsync("The key was refused.");
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync("–");
        await Assertions.Expect(page.Locator(".card")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#map")).ToHaveAttributeAsync("data-drawn", "false");
        await Assertions.Expect(page.Locator("#recluster")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("not connected");

        await page.Locator("#errors li .dismiss").First.ClickAsync();
        await Assertions.Expect(page.Locator("#errors li")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_failed_action_stays_listed_across_refreshes_and_a_failed_panel_is_cleared_not_kept()
    {
        var page = await Browser.NewPageAsync();
        // The re-clustering answers 500 and, later, the models list fails: what an analyst saw must not stay as if current.
        await page.RouteAsync("**/v1/admin/segmentation", async route =>
        {
            if (route.Request.Method == "POST")
            {
                await route.FulfillAsync(new RouteFulfillOptions { Status = 500, ContentType = "application/problem+json", Body = "{\"title\":\"boom\",\"status\":500}" });
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await page.GotoAsync($"http://localhost:{_port}/");
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#models tbody")).ToContainTextAsync("No model trained yet.");
        await Assertions.Expect(page.Locator("#recluster")).ToBeEnabledAsync();

        await page.ClickAsync("#recluster");
        var error = page.Locator("#errors li").Filter(new() { HasText = "Re-clustering: 500" });
        await Assertions.Expect(error).ToHaveCountAsync(1);

        // Two periodic refreshes later ("updated" twice with new times) the error is still listed.
        for (var i = 0; i < 2; i++)
        {
            var before = await page.InnerTextAsync("#status");
            await page.WaitForFunctionAsync("s => document.getElementById('status').textContent.startsWith('updated') && document.getElementById('status').textContent !== s", before, new() { Timeout = 20_000 });
        }

        await Assertions.Expect(error).ToHaveCountAsync(1);

        await page.RouteAsync("**/v1/models", route => route.FulfillAsync(new RouteFulfillOptions { Status = 503, ContentType = "application/problem+json", Body = "{\"title\":\"Cluster unavailable\",\"status\":503}" }));
        await Assertions.Expect(page.Locator("#models tbody")).ToContainTextAsync("Not loaded: 503", new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync("–");
        await Assertions.Expect(page.Locator("#training-state")).ToHaveTextAsync("idle");

        await error.Locator(".dismiss").ClickAsync();
        await Assertions.Expect(error).ToHaveCountAsync(0);
    }
}
