using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// The views for the people who run it, in Chromium against a seeded, trained cluster: merchandising rules (read,
/// edit, a rejected field shown where it belongs, outcomes per rule), segmentation quality (kept and withheld
/// versions), drift detections with their actions, and the audit trail with filters and pages. Screenshots go to
/// the test output directory (screenshots/).
/// </summary>
public sealed class DashboardControlsTests(TrainedDashboardFixture fixture) : IClassFixture<TrainedDashboardFixture>
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private static Task Shot(IPage page, string name, string? element = null)
    {
        Directory.CreateDirectory(Screenshots);
        var path = Path.Combine(Screenshots, name + ".png");
        return element is null
            ? page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true })
            : page.Locator(element).ScreenshotAsync(new LocatorScreenshotOptions { Path = path });
    }

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<long> ActiveVersion() =>
        (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/models")))["activeVersion"]!.GetValue<long>();

    private HttpClient AppClient() => GatewayFactory.LoopbackClient(fixture.Port, GatewayFactory.AppKey);

    [Fact]
    public async Task Rules_view_lists_each_rule_with_its_window_shows_what_the_pin_earned_and_puts_a_rejected_field_beside_its_input()
    {
        using var app = AppClient();
        var user = fixture.World.Users[0].Id;
        var served = await TrainedDashboardFixture.Json(await app.GetAsync($"/v1/users/{user}/recommendations?count=10&explore=false"));
        var pinned = served["items"]!.AsArray()[^1]!["itemId"]!.GetValue<string>();
        var cohort = (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/cohorts")))["cohorts"]!.AsArray()[0]!["id"]!.GetValue<int>();
        var category = fixture.World.Items[0].Category;
        var now = DateTimeOffset.UtcNow;
        var tomorrow = now.AddDays(1).ToString("O", CultureInfo.InvariantCulture);
        var yesterday = now.AddDays(-1).ToString("O", CultureInfo.InvariantCulture);
        var put = await fixture.Admin.PutAsync("/v1/rules", JsonBody($$"""
            { "rules": [
              { "kind": "pin", "id": "hero", "itemId": "{{pinned}}", "slot": 1, "priority": 5 },
              { "kind": "boost", "id": "winter", "match": { "categories": ["{{category}}"] }, "factor": 1.5, "cohortId": {{cohort}}, "validFrom": "{{tomorrow}}" },
              { "kind": "cap", "id": "old-cap", "max": 2, "validUntil": "{{yesterday}}" }
            ] }
            """));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        // Serve every user until the pin's impressions are counted under its rule (silos follow the set on their poll).
        await Eventually.True(
            async () =>
            {
                foreach (var u in fixture.World.Users.Take(20))
                {
                    (await app.GetAsync($"/v1/users/{u.Id}/recommendations?count=5&explore=false")).EnsureSuccessStatusCode();
                }

                var outcomes = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/outcomes?groupBy=rule&granularity=hour"));
                return outcomes["groups"]!.AsArray().Any(g => (string?)g!["key"] == "hero" && g["total"]!["impressions"]!.GetValue<long>() >= 1);
            },
            "the pin's impressions are counted under its rule",
            TimeSpan.FromMinutes(1));

        var page = await fixture.ConnectedPage(await ActiveVersion());
        var rows = page.Locator("#rules tbody tr.rule");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        // In resolution order: priority first, so the pin leads.
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-rule", "hero");
        var hero = page.Locator("#rules tr[data-rule='hero']");
        await Assertions.Expect(hero.Locator(".rule-scope")).ToHaveTextAsync("global");
        await Assertions.Expect(hero.Locator(".rule-effect")).ToHaveTextAsync("slot 1");
        await Assertions.Expect(hero.Locator(".rule-target")).ToContainTextAsync(fixture.World.Items.Single(i => i.Id == pinned).Title);
        await Assertions.Expect(hero.Locator(".rule-active")).ToHaveTextAsync("yes");
        var winter = page.Locator("#rules tr[data-rule='winter']");
        await Assertions.Expect(winter.Locator(".rule-scope")).ToHaveTextAsync($"cohort #{cohort}");
        await Assertions.Expect(winter.Locator(".rule-target")).ToContainTextAsync($"categories {category}");
        await Assertions.Expect(winter.Locator(".rule-active")).ToContainTextAsync("not yet");
        await Assertions.Expect(page.Locator("#rules tr[data-rule='old-cap'] .rule-active")).ToContainTextAsync("expired");

        // What the pin earned: its impressions and clicks per impression with an interval, against the unruled slots.
        var heroOutcome = page.Locator("#rule-outcomes tr[data-rule='hero']");
        await Assertions.Expect(heroOutcome).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(heroOutcome.Locator(".rule-ctr")).ToContainTextAsync("[");
        await Assertions.Expect(page.Locator("#rule-outcomes tr[data-rule='none']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#rule-outcomes-chart")).ToHaveAttributeAsync("data-drawn", "true");
        var labels = await page.EvaluateAsync<string[]>("() => Chart.getChart('rule-outcomes-chart').data.labels");
        Assert.Contains("hero", labels);
        Assert.Contains("none", labels);
        await Shot(page, "rules", "#rules-panel");

        // Edit: a boost factor out of bounds is refused by the server, and its message sits beside that input.
        var version = (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/rules")))["version"]!.GetValue<long>();
        await page.ClickAsync("#rules-edit");
        var winterSet = page.Locator("#rules-editor fieldset.rule-edit", new() { Has = page.Locator("input[data-name='id'][value='winter']") });
        var index = await winterSet.GetAttributeAsync("data-index");
        var factor = winterSet.Locator("input[data-name='factor']");
        await factor.FillAsync("9");
        await page.ClickAsync("#rules-save");
        var error = page.Locator($"#rules-editor .field-error[data-for='rules[{index}].factor']");
        await Assertions.Expect(error).ToContainTextAsync($"rules[{index}].factor");
        await Assertions.Expect(factor).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#rules-editor")).ToBeVisibleAsync();
        Assert.Equal(version, (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/rules")))["version"]!.GetValue<long>());
        // The field error is not a dashboard-wide failure: nothing is listed in the error list for it.
        await Assertions.Expect(page.Locator("#errors li")).ToHaveCountAsync(0);
        await Shot(page, "rules-rejected", "#rules-panel");

        // Corrected, the set saves: a new version, the editor closes, the table shows the new factor.
        await factor.FillAsync("2");
        await page.ClickAsync("#rules-save");
        await Assertions.Expect(page.Locator("#rules-editor")).ToBeHiddenAsync();
        await Assertions.Expect(winter.Locator(".rule-effect")).ToHaveTextAsync("score × 2");
        Assert.Equal(version + 1, (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/rules")))["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Analyst_key_reads_rules_quality_and_drift_without_edit_buttons_or_audit_and_a_refused_key_clears_them()
    {
        var page = await fixture.Browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync($"http://localhost:{fixture.Port}/");
        await page.FillAsync("#api-key", GatewayFactory.AnalystKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#key-role")).ToContainTextAsync("read-only");
        await Assertions.Expect(page.Locator("#rules-note")).Not.ToHaveTextAsync("Not loaded.");
        await Assertions.Expect(page.Locator("#quality tbody tr.quality-row").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#rules-edit")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#rules-editor")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#rules-save")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#audit-panel")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("a[href='#audit-panel']")).ToBeHiddenAsync();

        // A wrong key: no view keeps what the previous key read.
        await page.FillAsync("#api-key", "not-a-key");
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#rules tbody td.placeholder")).ToHaveTextAsync("The key was refused.");
        await Assertions.Expect(page.Locator("#quality tbody td.placeholder")).ToHaveTextAsync("The key was refused.");
        await Assertions.Expect(page.Locator("#drift tbody td.placeholder")).ToHaveTextAsync("The key was refused.");
        await Assertions.Expect(page.Locator("#rule-outcomes tbody td.placeholder")).ToHaveTextAsync("The key was refused.");
        await Assertions.Expect(page.Locator("#quality-chart")).ToHaveAttributeAsync("data-drawn", "false");
        await Assertions.Expect(page.Locator("#errors li").First).ToContainTextAsync("401");
    }

    [Fact]
    public async Task Quality_view_shows_each_kept_version_with_its_algorithm_scores_and_sizes()
    {
        (await fixture.Admin.PostAsync("/v1/admin/segmentation", null)).EnsureSuccessStatusCode();
        var page = await fixture.ConnectedPage(await ActiveVersion());
        JsonArray history = [];
        await Eventually.True(
            async () =>
            {
                history = (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/admin/segmentation"))).AsArray();
                return await page.Locator("#quality tbody tr.quality-row").CountAsync() == history.Count;
            },
            "a row per kept version");
        Assert.True(history.Count >= 2);
        foreach (var v in history)
        {
            var q = v!["quality"]!;
            var row = page.Locator($"#quality tr[data-version='{v["version"]!.GetValue<long>()}']");
            await Assertions.Expect(row.Locator(".algorithm-name")).ToHaveTextAsync(q["algorithm"]!.GetValue<string>());
            var parameters = q["parameters"]!.AsArray().Select(p => $"{p!["name"]!.GetValue<string>()} {p["value"]!.GetValue<string>()}").ToList();
            Assert.Contains("k 3", parameters);
            await Assertions.Expect(row.Locator(".quality-parameters")).ToContainTextAsync(string.Join(", ", parameters));
            await Assertions.Expect(row.Locator(".quality-silhouette")).ToHaveTextAsync(
                $"{q["silhouette"]!.GetValue<double>().ToString("F3", CultureInfo.InvariantCulture)} (n = {q["silhouetteSample"]!.GetValue<int>()})");
            await Assertions.Expect(row.Locator(".quality-db")).ToHaveTextAsync(q["daviesBouldin"]!.GetValue<double>().ToString("F3", CultureInfo.InvariantCulture));
            await Assertions.Expect(row.Locator(".quality-sizes .size-bar span")).ToHaveCountAsync(q["clusterSizes"]!.AsArray().Count);
            await Assertions.Expect(row.Locator(".quality-noise")).ToHaveTextAsync("n/a");
            await Assertions.Expect(row.Locator(".quality-k")).ToContainTextAsync(q["kScores"]!.AsArray().Count == 0 ? "fixed" : "chosen by silhouette");
        }

        await Assertions.Expect(page.Locator("#quality tbody tr.quality-row").First.Locator("th")).ToContainTextAsync("(serving)");
        await Assertions.Expect(page.Locator("#quality-withheld tbody")).ToContainTextAsync("No version has been withheld");
        await Assertions.Expect(page.Locator("#quality-chart")).ToHaveAttributeAsync("data-drawn", "true");
        var points = await page.EvaluateAsync<int>("() => Chart.getChart('quality-chart').data.datasets[0].data.length");
        Assert.Equal(history.Count, points);
        await Shot(page, "quality", "#quality-panel");
    }

    [Fact]
    public async Task Quality_view_lists_a_fit_withheld_below_the_floor_and_claims_no_version_serves()
    {
        // A gateway whose floor no clustering of this world reaches: the first fit is withheld and nothing is published.
        await using var factory = new FlooredGateway();
        var port = factory.Port;
        using var admin = GatewayFactory.LoopbackClient(port, GatewayFactory.AdminKey);
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 40, Items = 60, Categories = 4, UserPrefix = "wq-" }, seed: 8);
        await WireEvents.PostAccepted(admin, world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 5, new Random(4)), device: false);

        JsonNode problem = null!;
        await Eventually.True(
            async () =>
            {
                var response = await admin.PostAsync("/v1/admin/segmentation", null);
                problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                return response.StatusCode == HttpStatusCode.Conflict && (string?)problem["field"] == "silhouette";
            },
            "the fit is withheld below the silhouette floor",
            diagnostics: () => problem?.ToJsonString() ?? "no answer");

        var page = await fixture.Browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync($"http://localhost:{port}/");
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        var withheld = page.Locator("#quality-withheld tbody tr.withheld-row");
        await Assertions.Expect(withheld).ToHaveCountAsync(1);
        await Assertions.Expect(withheld.Locator("td").Nth(1)).ToHaveTextAsync("silhouette");
        await Assertions.Expect(withheld.Locator("td").Nth(3)).ToHaveTextAsync("0.990");
        await Assertions.Expect(withheld.Locator(".message")).ToContainTextAsync("below the floor");
        await Assertions.Expect(page.Locator("#quality tbody")).ToHaveTextAsync("No segmentation version yet.");
        await Assertions.Expect(page.Locator("#quality-chart")).ToHaveAttributeAsync("data-drawn", "true");
        var series = await page.EvaluateAsync<string[]>("() => Chart.getChart('quality-chart').data.datasets.map(d => d.label)");
        Assert.Equal(["withheld: silhouette", "floor: silhouette"], series);
        await Shot(page, "quality-withheld", "#quality-panel");
    }

    [Fact]
    public async Task Drift_view_draws_each_detectors_statistic_per_pass_against_its_threshold_with_the_actions_and_their_outcomes()
    {
        var grains = fixture.Services.GetRequiredService<IGrainFactory>();
        var cohort = (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/cohorts")))["cohorts"]!.AsArray()[0]!["id"]!.GetValue<int>();
        var at = DateTimeOffset.UtcNow;
        await grains.RaiseAlert(new AlertInput("drift-reward-rate", cohort, "clicks per impression: newer − older", -0.021, -0.012, $"Cohort {cohort}'s clicks per impression dropped.")
        {
            Action = new AlertActionRecord(DriftAction.ServeGlobal, DriftActionOutcome.Succeeded, $"cohort {cohort} is served by the global weights until the next activated model version", at),
        });
        await grains.RaiseAlert(new AlertInput("drift-reward-rate", cohort, "clicks per impression: newer − older", -0.034, -0.015, $"Cohort {cohort}'s clicks per impression dropped again.")
        {
            Action = new AlertActionRecord(DriftAction.Retrain, DriftActionOutcome.Failed, "TimeoutException: the training grain did not answer", at),
        });
        await grains.RaiseAlert(new AlertInput("drift-feature-psi", null, "PSI of recency_days", 0.41, 0.25, "recency_days moved (PSI 0.41).")
        {
            Action = new AlertActionRecord(DriftAction.AlertOnly, DriftActionOutcome.None, "alert only", at),
        });

        // The charts draw the monitor's per-pass history; a fixed history (what GET /v1/drift/history answers) makes the
        // lines checkable point by point. The endpoint itself is DriftAlertsApiTests'.
        var history = $$"""
            {"series":[
              {"detector":"drift-reward-rate","cohortId":{{cohort}},"feature":null,"statistic":"clicks per impression: newer − older","points":[
                {"at":"2026-12-05T09:00:00Z","value":-0.004,"threshold":-0.013},{"at":"2026-12-05T09:01:00Z","value":-0.021,"threshold":-0.012},{"at":"2026-12-05T09:02:00Z","value":-0.034,"threshold":-0.015}]},
              {"detector":"drift-feature-psi","cohortId":null,"feature":"monetary","statistic":"psi(monetary)","points":[
                {"at":"2026-12-05T09:00:00Z","value":0.05,"threshold":0.25},{"at":"2026-12-05T09:01:00Z","value":0.41,"threshold":0.25}]},
              {"detector":"drift-feature-psi","cohortId":null,"feature":"recency_days","statistic":"psi(recency_days)","points":[
                {"at":"2026-12-05T09:00:00Z","value":0.02,"threshold":0.25},{"at":"2026-12-05T09:01:00Z","value":0.03,"threshold":0.25}]}]}
            """;
        var page = await fixture.ConnectedPage(await ActiveVersion(), p => p.RouteAsync("**/v1/drift/history*", route => route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = history })));
        var reward = page.Locator("#drift-charts article[data-source='drift-reward-rate']");
        await Assertions.Expect(reward).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#drift-charts article[data-source='drift-feature-psi']")).ToHaveCountAsync(1);
        await Assertions.Expect(reward.Locator("canvas")).ToHaveAttributeAsync("data-drawn", "true");
        var labels = await page.EvaluateAsync<string[]>("() => Chart.getChart('drift-chart-drift-reward-rate').data.datasets.map(d => d.label)");
        Assert.Equal([$"cohort #{cohort}: clicks per impression: newer − older", $"cohort #{cohort} threshold"], labels);
        var values = await page.EvaluateAsync<double[]>("() => Chart.getChart('drift-chart-drift-reward-rate').data.datasets[0].data.map(p => p.y)");
        var thresholds = await page.EvaluateAsync<double[]>("() => Chart.getChart('drift-chart-drift-reward-rate').data.datasets[1].data.map(p => p.y)");
        Assert.Equal([-0.004, -0.021, -0.034], values);
        Assert.Equal([-0.013, -0.012, -0.015], thresholds);
        // PSI: a line per feature and one threshold line (the same number for every feature).
        var psi = await page.EvaluateAsync<string[]>("() => Chart.getChart('drift-chart-drift-feature-psi').data.datasets.map(d => d.label)");
        Assert.Equal(["monetary: psi(monetary)", "recency_days: psi(recency_days)", "threshold"], psi);

        var rows = page.Locator("#drift tbody tr.drift-row");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        // Newest first: the alert-only PSI detection, the failed retrain, the global hold that succeeded.
        await Assertions.Expect(rows.Nth(0).Locator(".drift-action")).ToHaveTextAsync("alert-only");
        await Assertions.Expect(rows.Nth(0).Locator(".drift-outcome")).ToHaveTextAsync("none");
        await Assertions.Expect(rows.Nth(1).Locator(".drift-action")).ToHaveTextAsync("retrain");
        await Assertions.Expect(rows.Nth(1).Locator(".drift-outcome")).ToHaveTextAsync("failed");
        await Assertions.Expect(rows.Nth(1)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("outcome-failed"));
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("TimeoutException");
        await Assertions.Expect(rows.Nth(2).Locator(".drift-action")).ToHaveTextAsync("serve-global");
        await Assertions.Expect(rows.Nth(2).Locator(".drift-outcome")).ToHaveTextAsync("succeeded");
        await Shot(page, "drift", "#drift-panel");
    }

    [Fact]
    public async Task Audit_view_filters_by_action_pages_with_the_cursor_and_shows_a_refused_filter_beside_its_input()
    {
        (await fixture.Admin.PostAsync("/v1/admin/segmentation", null)).EnsureSuccessStatusCode();
        var page = await fixture.ConnectedPage(await ActiveVersion());
        await Assertions.Expect(page.Locator("#audit-panel")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr.audit-entry").First).ToBeVisibleAsync();

        await page.FillAsync("#audit-action", "POST /v1/admin");
        await page.FillAsync("#audit-limit", "1");
        await page.ClickAsync("#audit-filters button[type=submit]");
        await Assertions.Expect(page.Locator("#audit-page")).ToContainTextAsync("Page 1 · action starting \"POST /v1/admin\"");
        var entries = page.Locator("#audit tbody tr.audit-entry");
        await Assertions.Expect(entries).ToHaveCountAsync(1);
        var first = await entries.TextContentAsync() ?? string.Empty;
        Assert.StartsWith("POST /v1/admin", await entries.Locator(".audit-action").InnerTextAsync(), StringComparison.Ordinal);

        // The fixture trained once and this test re-clustered: at least two matching entries, so a second page.
        await Assertions.Expect(page.Locator("#audit-older")).ToBeEnabledAsync();
        await page.ClickAsync("#audit-older");
        await Assertions.Expect(page.Locator("#audit-page")).ToContainTextAsync("Page 2");
        await Assertions.Expect(entries).Not.ToHaveTextAsync(first);
        Assert.StartsWith("POST /v1/admin", await entries.Locator(".audit-action").InnerTextAsync(), StringComparison.Ordinal);
        await page.ClickAsync("#audit-newer");
        await Assertions.Expect(page.Locator("#audit-page")).ToContainTextAsync("Page 1");
        await Assertions.Expect(entries).ToHaveTextAsync(first);

        // A limit the server refuses: its message beside the input, and the page shown keeps its filters.
        await page.FillAsync("#audit-limit", "5000");
        await page.ClickAsync("#audit-filters button[type=submit]");
        await Assertions.Expect(page.Locator("#audit-filters .field-error[data-for='limit']")).ToContainTextAsync("limit:");
        await Assertions.Expect(page.Locator("#audit-limit")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#audit-page")).ToContainTextAsync("Page 1 · action starting \"POST /v1/admin\"");
        await Assertions.Expect(entries).ToHaveCountAsync(1);
        await Shot(page, "audit", "#audit-panel");
    }

    /// <summary>A gateway on a real port whose silhouette floor no clustering of a small synthetic world reaches.</summary>
    private sealed class FlooredGateway : WebApplicationFactory<Program>
    {
        public FlooredGateway()
        {
            UseKestrel(Port);
            StartServer();
        }

        public int Port { get; } = GatewayFactory.FreePort();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            GatewayFactory.Configure(builder);
            builder.UseSetting("Cohortly:Segmentation:MinSilhouette", "0.99");
        }
    }
}
