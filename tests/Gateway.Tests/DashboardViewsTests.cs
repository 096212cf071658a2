using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// The dashboard's pictures in Chromium against a seeded, trained cluster: the cohort map, the cohort detail page, the
/// user card and the cluster panel. Screenshots of each view go to the test output directory (screenshots/).
/// </summary>
public sealed class DashboardViewsTests(TrainedDashboardFixture fixture) : IClassFixture<TrainedDashboardFixture>
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private static Task Shot(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        return page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    /// <summary>Waits until the live sample holds every user, so the map shows them all.</summary>
    private async Task<JsonNode> FullMap()
    {
        JsonNode map = null!;
        await Eventually.True(async () =>
        {
            var response = await fixture.Admin.GetAsync("/v1/cohorts/map");
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            map = await TrainedDashboardFixture.Json(response);
            return map["sampleSize"]!.GetValue<int>() == fixture.World.Users.Count;
        }, "every user is in the live sample");
        return map;
    }

    [Fact]
    public async Task Map_draws_a_point_for_every_sampled_user_in_every_cohort_and_hover_names_the_user()
    {
        var map = await FullMap();
        var cohorts = map["centroids"]!.AsArray().Select(c => c!["cohortId"]!.GetValue<int>()).Order().ToList();
        var page = await fixture.ConnectedPage(await ActiveVersion());
        var canvas = page.Locator("#map");
        await Assertions.Expect(canvas).ToHaveAttributeAsync("data-points", fixture.World.Users.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(canvas).ToHaveAttributeAsync("data-cohorts", string.Join(",", cohorts));
        await Assertions.Expect(page.Locator("#map-note")).ToContainTextAsync("principal components");

        // Every cohort's dataset holds its users, and the centroids dataset one cross per cohort.
        var counts = await page.EvaluateAsync<int[]>("() => Chart.getChart('map').data.datasets.map(d => d.data.length)");
        Assert.Equal(cohorts.Count + 1, counts.Length);
        Assert.Equal(fixture.World.Users.Count, counts[..^1].Sum());
        Assert.All(counts[..^1], n => Assert.True(n > 0));
        Assert.Equal(cohorts.Count, counts[^1]);

        // Hovering a point shows its user id and cohort in the tooltip.
        var point = await page.EvaluateAsync<double[]>("() => { const e = Chart.getChart('map').getDatasetMeta(0).data[0]; return [e.x, e.y]; }");
        await canvas.HoverAsync(new LocatorHoverOptions { Position = new Position { X = (float)point[0], Y = (float)point[1] } });
        var tooltip = await page.EvaluateAsync<string>("() => { const t = Chart.getChart('map').tooltip; return t.getActiveElements().length ? t.body.map(b => b.lines.join(' ')).join('|') : ''; }");
        var first = await page.EvaluateAsync<string>("() => Chart.getChart('map').data.datasets[0].data[0].userId");
        var label = await page.EvaluateAsync<string>("() => Chart.getChart('map').data.datasets[0].label");
        Assert.Contains($"{first} · {label}", tooltip, StringComparison.Ordinal);
        await Shot(page, "overview");
    }

    [Fact]
    public async Task Cohort_detail_opens_with_trait_bars_series_items_members_and_why_a_member_is_there()
    {
        var map = await FullMap();
        var page = await fixture.ConnectedPage(await ActiveVersion());
        var card = page.Locator(".card").First;
        var cohortId = int.Parse((await card.GetAttributeAsync("data-cohort"))!, System.Globalization.CultureInfo.InvariantCulture);
        await card.Locator(".open-cohort").ClickAsync();

        await Assertions.Expect(page.Locator("#cohort-detail")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#overview")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#cohort-traits tbody tr")).ToHaveCountAsync(15);
        await Assertions.Expect(page.Locator("#cohort-traits-chart")).ToHaveAttributeAsync("data-drawn", "true");
        await Assertions.Expect(page.Locator("#cohort-size-chart")).ToHaveAttributeAsync("data-drawn", "true");
        var bars = await page.EvaluateAsync<double[]>("() => Chart.getChart('cohort-traits-chart').data.datasets[0].data");
        var traits = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync($"/v1/cohorts/{cohortId}/traits"));
        Assert.Equal(traits["traits"]!.AsArray().Select(t => Math.Round(t!["standardized"]!.GetValue<double>(), 6)), bars.Select(b => Math.Round(b, 6)));
        await Assertions.Expect(page.Locator("#cohort-traits tbody tr").First.Locator(".unit-note")).Not.ToBeEmptyAsync();

        // The serving model and its holdout numbers, the policy (editable for the admin key), titled top items.
        await Assertions.Expect(page.Locator("#cohort-model")).ToContainTextAsync("Served by model v");
        await Assertions.Expect(page.Locator("#cohort-policy .policy-effective")).ToContainTextAsync("In effect");
        await Assertions.Expect(page.Locator("#policy-save")).ToHaveCountAsync(1);
        var titles = fixture.World.Items.Select(i => i.Title).ToHashSet();
        // Top items come from member activity since the version: titles when the API has some, else the placeholder.
        var top = (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync($"/v1/cohorts/{cohortId}")))["topItems"]!.AsArray();
        if (top.Count == 0)
        {
            await Assertions.Expect(page.Locator("#cohort-body")).ToContainTextAsync("No member activity since this version yet.");
        }
        else
        {
            await page.Locator("#cohort-items tbody td.title").First.WaitForAsync(new() { Timeout = 20_000 });
            var itemTitles = await page.Locator("#cohort-items tbody td.title").AllInnerTextsAsync();
            Assert.All(itemTitles, t => Assert.Contains(t, titles));
        }

        // Members come from the map's sample; "why is this user here" lists a distance to every centroid, nearest first.
        var members = map["points"]!.AsArray().Where(p => p!["cohortId"]!.GetValue<int>() == cohortId).Select(p => p!["userId"]!.GetValue<string>()).ToHashSet();
        var shown = await page.Locator("#cohort-body button.member").AllInnerTextsAsync();
        Assert.NotEmpty(shown);
        Assert.All(shown, u => Assert.Contains(u, members));
        await page.Locator("#cohort-body button.member").First.ClickAsync();
        var distances = page.Locator("#cohort-why td.distance");
        await Assertions.Expect(distances).ToHaveCountAsync(map["centroids"]!.AsArray().Count);
        await Assertions.Expect(page.Locator("#cohort-why h4")).ToContainTextAsync($"#{cohortId}");
        var values = (await distances.AllInnerTextsAsync()).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(values.Order(), values);
        await Shot(page, "cohort-detail");

        await page.Locator("#cohort-detail a[href='#overview']").ClickAsync();
        await Assertions.Expect(page.Locator("#overview")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Analyst_key_sees_the_pictures_but_no_action_buttons_and_no_cluster_panel()
    {
        var version = await ActiveVersion();
        var page = await fixture.Browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync($"http://localhost:{fixture.Port}/");
        await page.FillAsync("#api-key", GatewayFactory.AnalystKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync($"v{version}");
        await Assertions.Expect(page.Locator("#map")).ToHaveAttributeAsync("data-drawn", "true");
        await Assertions.Expect(page.Locator("#recluster")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#train-now")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator(".activate")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#cluster-panel")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#audit-panel")).ToBeHiddenAsync();

        await page.Locator(".card .open-cohort").First.ClickAsync();
        await Assertions.Expect(page.Locator("#cohort-traits tbody tr")).ToHaveCountAsync(15);
        await Assertions.Expect(page.Locator("#cohort-policy .policy-effective")).ToContainTextAsync("In effect");
        await Assertions.Expect(page.Locator("#policy-save")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#policy-reset")).ToHaveCountAsync(0);
        Assert.DoesNotContain((await page.Context.CookiesAsync()), c => c.Name == "cohortly-orleans-key");
    }

    [Fact]
    public async Task User_lookup_is_a_readable_card_and_the_cluster_panel_shows_the_silo_serving_the_active_model()
    {
        var version = await ActiveVersion();
        var page = await fixture.ConnectedPage(version);
        var user = fixture.World.Users[0].Id;
        var profile = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync($"/v1/users/{user}"));
        await page.FillAsync("#user-id", user);
        await page.ClickAsync("#user-form button");
        var card = page.Locator($".user-card[data-user='{user}']");
        await Assertions.Expect(card.Locator(".rfm-monetary span").Last).ToHaveTextAsync(profile["monetary"]!.GetValue<double>().ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(card.Locator(".sessions span").Last).ToContainTextAsync($"{profile["sessions"]!.GetValue<int>()} ·");
        await Assertions.Expect(page.Locator("#user-hours-chart")).ToHaveAttributeAsync("data-drawn", "true");
        var hours = await page.EvaluateAsync<int[]>("() => Chart.getChart('user-hours-chart').data.datasets[0].data");
        Assert.Equal(profile["hourOfDay"]!.AsArray().Select(h => h!.GetValue<int>()), hours);
        await Assertions.Expect(page.Locator("#recommendations ol.recs > li .item-title").First).Not.ToBeEmptyAsync();

        var silo = page.Locator("#silos tbody tr.silo");
        await Assertions.Expect(silo).ToHaveCountAsync(1);
        await Assertions.Expect(silo.Locator(".silo-status")).ToHaveTextAsync("Active");
        await Assertions.Expect(silo.Locator(".silo-model")).ToHaveTextAsync($"v{version}");
        var cluster = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/admin/cluster"));
        Assert.True(cluster["embedded"]!.GetValue<bool>());
        Assert.True(cluster["eventsApplied"]!.GetValue<long>() > 0, cluster.ToJsonString());
        await Assertions.Expect(page.Locator("#ingestion-rate")).ToContainTextAsync("events/s", new() { Timeout = 20_000 });

        // Embedded: no partitions are shown; the in-memory backlog stands in for lag, over time in the chart.
        await Assertions.Expect(page.Locator("#embedded-backlog-note")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#partitions")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#backlog")).ToContainTextAsync("events not yet applied");
        await Assertions.Expect(page.Locator("#cluster-lag-chart")).ToHaveAttributeAsync("data-series", "1");
        await page.Locator("#cluster-panel").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Screenshots, "cluster-embedded.png") });
        await Shot(page, "user-and-cluster");
    }

    [Fact]
    public async Task Orleans_dashboard_is_refused_without_the_admin_key_and_opens_for_it()
    {
        using var anonymous = GatewayFactory.LoopbackClient(fixture.Port, key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/orleans/")).StatusCode);
        using var analyst = GatewayFactory.LoopbackClient(fixture.Port, GatewayFactory.AnalystKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.GetAsync("/orleans/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.GetAsync("/orleans/")).StatusCode);

        // In the browser: a page without the key is refused; after connecting with the admin key the cookie opens it.
        var page = await fixture.Browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var refused = await page.GotoAsync($"http://localhost:{fixture.Port}/orleans/");
        Assert.Equal(401, refused!.Status);
        await page.GotoAsync($"http://localhost:{fixture.Port}/");
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#key-role")).ToHaveTextAsync("admin (admin)");
        var opened = await page.GotoAsync($"http://localhost:{fixture.Port}/orleans/");
        Assert.Equal(200, opened!.Status);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Shot(page, "orleans-dashboard");

        // The gateway reads the cookie nowhere but under /orleans: the API still refuses a request without the header.
        using var cookieOnly = GatewayFactory.LoopbackClient(fixture.Port, key: null);
        cookieOnly.DefaultRequestHeaders.Add("Cookie", $"cohortly-orleans-key={GatewayFactory.AdminKey}");
        Assert.Equal(HttpStatusCode.OK, (await cookieOnly.GetAsync("/orleans/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await cookieOnly.GetAsync("/v1/cohorts")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await cookieOnly.PostAsync("/v1/admin/segmentation", null)).StatusCode);
    }

    [Fact]
    public async Task Experiments_panel_shows_a_forest_row_per_cohort_and_variant_with_its_decision_and_srm()
    {
        var cohorts = (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/cohorts")))["cohorts"]!.AsArray().Select(c => c!["id"]!.GetValue<int>()).ToList();
        var started = await fixture.Admin.PostAsync("/v1/experiments", new StringContent(
            """{ "name": "dash-forest", "variants": [ { "name": "global-baseline", "weight": 1, "treatment": { "globalWeights": true } }, { "name": "cohort-model", "weight": 1 } ], "minimumSampleSize": 2 }""",
            System.Text.Encoding.UTF8,
            "application/json"));
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);

        // Serve and click a little so the strata have units.
        using var app = GatewayFactory.LoopbackClient(fixture.Port, GatewayFactory.AppKey);
        // The silo's experiment cache follows the registry on its poll: a list served before it has the experiment
        // belongs to no experiment and would never make a stratum.
        var probe = fixture.World.Users[0].Id;
        await Eventually.True(
            async () => (await TrainedDashboardFixture.Json(await app.GetAsync($"/v1/users/{probe}/recommendations?count=3")))["experiment"]?.GetValue<string>() == "dash-forest",
            "the silo serves the experiment");
        foreach (var user in fixture.World.Users)
        {
            (await app.GetAsync($"/v1/users/{user.Id}/recommendations?count=3")).EnsureSuccessStatusCode();
        }

        // Strata appear as the silos flush outcomes: wait until the panel shows one row per stratum of the results
        // (one comparison each: cohort-model vs the baseline) plus the pooled one.
        var page = await fixture.ConnectedPage(await ActiveVersion());
        var block = page.Locator("#experiments .experiment[data-experiment='dash-forest']");
        await Assertions.Expect(block.Locator("h3")).ToContainTextAsync("dash-forest · running · ctr");
        List<int> strata = [];
        var rowsShown = 0;
        await Eventually.True(
            async () =>
            {
                var report = (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/experiments/dash-forest/results")))["report"];
                strata = report?["cohorts"]?.AsArray().Select(c => c!["cohortId"]!.GetValue<int>()).ToList() ?? [];
                rowsShown = await block.Locator("tbody tr").CountAsync();
                return strata.Count > 0 && rowsShown == strata.Count + 1;
            },
            "the panel shows a row per stratum of the experiment's results",
            // The results are re-analysed on the registry's schedule and the panel refreshes on its own; with the
            // other test classes running on two cores both can take a while.
            TimeSpan.FromMinutes(2),
            () => $"results strata {string.Join(",", strata)}, panel rows {rowsShown}");
        Assert.All(strata, c => Assert.Contains(c, cohorts.Append(-1)));
        await Assertions.Expect(block.Locator("canvas")).ToHaveAttributeAsync("data-drawn", "true");
        var labels = await page.EvaluateAsync<string[]>("() => Chart.getChart('forest-dash-forest').data.labels");
        var rows = await block.Locator("tbody tr th").AllInnerTextsAsync();
        Assert.Equal(rows.Select(r => $"{r} cohort-model").Order(), labels.Select(l => l.Replace(" (no estimate yet)", "", StringComparison.Ordinal)).Order());
        Assert.Contains("pooled", rows);

        // A comparison without an estimate is labelled so and drawn without a point (never as a lift of 0).
        var results = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/experiments/dash-forest/results"));
        var estimated = results["report"]!["cohorts"]!.AsArray().Append(results["report"]!["pooled"]).Count(s => s!["primary"]!.AsArray()[0]!["relativeLift"] is not null);
        var points = await page.EvaluateAsync<int>("() => Chart.getChart('forest-dash-forest').data.datasets[1].data.length");
        Assert.Equal(estimated, points);
        Assert.Equal(labels.Length - points, labels.Count(l => l.EndsWith("(no estimate yet)", StringComparison.Ordinal)));
        Assert.All(await block.Locator("td.decision").AllInnerTextsAsync(), d => Assert.False(string.IsNullOrWhiteSpace(d)));
        await Shot(page, "experiments");
    }

    private async Task<long> ActiveVersion() =>
        (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/models")))["activeVersion"]!.GetValue<long>();
}
