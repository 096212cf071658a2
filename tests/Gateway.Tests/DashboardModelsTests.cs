using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Microsoft.Playwright;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// One gateway on a real Kestrel port with synthetic history and a first trained model, plus a headless Chromium,
/// shared by the model-panel tests (training once keeps the class bounded on a small machine).
/// </summary>
public sealed class TrainedDashboardFixture : IAsyncLifetime
{
    private readonly GatewayFactory _factory = new();
    private HeadlessChromium? _chromium;

    public int Port { get; } = GatewayFactory.FreePort();

    public SyntheticWorld World { get; } = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 90, Items = 120, Categories = 6, UserPrefix = "dm-" }, seed: 31);

    public IBrowser Browser => _chromium?.Browser ?? throw new InvalidOperationException("Not started.");

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>The gateway's services (its embedded silo's grain factory), for seeding what HTTP cannot, such as alerts.</summary>
    public IServiceProvider Services => _factory.Services;

    public async Task InitializeAsync()
    {
        _factory.UseKestrel(Port);
        _factory.StartServer();
        Admin = GatewayFactory.LoopbackClient(Port, GatewayFactory.AdminKey);

        (await Admin.PutAsJsonAsync("/v1/items", new { items = World.Items.Select(i => new { id = i.Id, title = i.Title, categories = new[] { i.Category }, price = i.Price }) })).EnsureSuccessStatusCode();
        await WireEvents.PostAccepted(Admin, World.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 10, new Random(3)));

        (await Admin.PostAsync("/v1/admin/training", null)).EnsureSuccessStatusCode();
        await WaitForTraining(Admin);

        _chromium = await HeadlessChromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }

        Admin?.Dispose();
        await _factory.DisposeAsync();
    }

    public static async Task<JsonNode> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!;

    /// <param name="after">
    /// Wait for a run newer than this version: a run started from the browser begins a moment after the click, and
    /// until then the status still shows the previous run's "succeeded".
    /// </param>
    public static async Task<JsonNode> WaitForTraining(HttpClient admin, long after = 0)
    {
        using var api = new CohortlyApiClient(admin, GatewayFactory.AdminKey);
        var run = await api.WaitForTrainingAsync(s => s["state"]?.GetValue<string>() == "failed" || s["lastVersion"]?.GetValue<long>() > after, TimeSpan.FromMinutes(3), progress: null, CancellationToken.None);
        Assert.True(run.Succeeded, run.Status.ToJsonString());
        return run.Status;
    }

    /// <summary>A page connected with the admin key, waiting until the models table lists the active version.</summary>
    public async Task<IPage> ConnectedPage(long activeVersion, Func<IPage, Task>? prepare = null)
    {
        var page = await Browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        if (prepare is not null)
        {
            await prepare(page);
        }

        await page.GotoAsync($"http://localhost:{Port}/");
        await page.FillAsync("#api-key", GatewayFactory.AdminKey);
        await page.ClickAsync("#key-form button");
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync($"v{activeVersion}");
        return page;
    }
}

public sealed class DashboardModelsTests(TrainedDashboardFixture fixture) : IClassFixture<TrainedDashboardFixture>
{
    private static string F3(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private async Task<JsonNode> Models() => await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/models"));

    [Fact]
    public async Task Models_panel_lists_the_active_version_with_holdout_ndcg_and_per_cohort_gain()
    {
        var models = await Models();
        var active = models["activeVersion"]!.GetValue<long>();
        var version = models["versions"]!.AsArray().Single(v => v!["version"]!.GetValue<long>() == active)!;
        var page = await fixture.ConnectedPage(active);

        var row = page.Locator($"#models tbody tr[data-version='{active}']");
        await Assertions.Expect(row.Locator(".active-marker")).ToHaveTextAsync("● active");
        await Assertions.Expect(row.Locator(".activate")).ToHaveCountAsync(0);
        await Assertions.Expect(row.Locator(".ndcg-global")).ToHaveTextAsync(F3(version["holdoutNdcgGlobal"]!.GetValue<double>()));
        await Assertions.Expect(row.Locator(".ndcg-cohort")).ToHaveTextAsync(F3(version["holdoutNdcgCohort"]!.GetValue<double>()));
        await Assertions.Expect(page.Locator("#models tbody tr")).ToHaveCountAsync(models["versions"]!.AsArray().Count);
        await Assertions.Expect(page.Locator("#models tbody tr:not(.active) .activate")).ToHaveCountAsync(models["versions"]!.AsArray().Count - 1);

        // The active version is selected at first: its cohorts are listed with global vs adapted NDCG and the gain.
        await Assertions.Expect(page.Locator("#model-cohorts-caption")).ToContainTextAsync($"version {active}");
        var cohorts = version["cohorts"]!.AsArray();
        Assert.NotEmpty(cohorts);
        await Assertions.Expect(page.Locator("#model-cohorts tbody tr")).ToHaveCountAsync(cohorts.Count);
        foreach (var c in cohorts)
        {
            var cohortRow = page.Locator($"#model-cohorts tbody tr[data-cohort='{c!["cohortId"]!.GetValue<int>()}']");
            var global = c["globalNdcg"]!.GetValue<double>();
            var adapted = c["adaptedNdcg"]!.GetValue<double>();
            await Assertions.Expect(cohortRow.Locator("th")).ToContainTextAsync(c["label"]!.GetValue<string>());
            await Assertions.Expect(cohortRow.Locator(".adapted")).ToHaveTextAsync(c["adapted"]!.GetValue<bool>() ? "yes" : "no");
            var gain = await cohortRow.Locator(".gain").InnerTextAsync();
            Assert.StartsWith((adapted - global >= 0 ? "+" : "-") + F3(Math.Abs(adapted - global)), gain, StringComparison.Ordinal);
            Assert.Contains(F3(global), await cohortRow.InnerTextAsync(), StringComparison.Ordinal);
        }

        // Cohort cards say which model version serves them and whether with adapted weights.
        await Assertions.Expect(page.Locator(".card .model").First).ToContainTextAsync($"Model v{active}");
        await Assertions.Expect(page.Locator("#training-state")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#training-percent")).ToHaveTextAsync("100%");
        await Assertions.Expect(page.Locator("#training-error")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#train-now")).ToBeEnabledAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-models.png"), FullPage = true });
    }

    [Fact]
    public async Task Train_now_shows_the_run_progressing_to_a_new_active_version_and_activate_rolls_back_after_confirming()
    {
        var before = (await Models())["activeVersion"]!.GetValue<long>();
        var page = await fixture.ConnectedPage(before);
        await Assertions.Expect(page.Locator("#train-now")).ToBeEnabledAsync();

        // Record every state the panel shows, so a run that finishes between two polls is still seen running first.
        await page.EvaluateAsync("""
            () => {
              window.trainingStates = [];
              const node = document.getElementById('training-state');
              new MutationObserver(() => window.trainingStates.push(node.textContent))
                .observe(node, { childList: true, characterData: true, subtree: true });
            }
            """);
        await page.Locator("#train-now").FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        var status = await TrainedDashboardFixture.WaitForTraining(fixture.Admin, after: before);
        var trained = status["lastVersion"]!.GetValue<long>();
        Assert.True(trained > before);
        await Assertions.Expect(page.Locator("#training-last")).ToHaveTextAsync($"v{trained}");
        await Assertions.Expect(page.Locator("#training-state")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#training-progress")).ToHaveJSPropertyAsync("value", 100);
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync($"v{trained}");
        await Assertions.Expect(page.Locator($"#models tbody tr[data-version='{trained}'] .active-marker")).ToHaveTextAsync("● active");
        var seen = await page.EvaluateAsync<string[]>("() => window.trainingStates");
        var running = Array.IndexOf(seen, "running");
        Assert.True(running >= 0, $"the panel never showed the run: {string.Join(", ", seen)}");
        Assert.Contains("succeeded", seen[running..]);

        // The replaced version is listed as retired, with why on hover.
        await Assertions.Expect(page.Locator($"#models tbody tr[data-version='{before}'] .active-marker")).ToHaveTextAsync("retired");
        await Assertions.Expect(page.Locator($"#models tbody tr[data-version='{before}'] .active-marker")).ToHaveAttributeAsync("title", $"replaced by version {trained}");

        // Roll back: the confirm names the version, and only an accepted confirm activates it.
        string? asked = null;
        page.Dialog += async (_, dialog) =>
        {
            asked = dialog.Message;
            await dialog.AcceptAsync();
        };
        await page.Locator($"#models tbody tr[data-version='{before}'] .activate").ClickAsync();
        await Assertions.Expect(page.Locator($"#models tbody tr[data-version='{before}'] .active-marker")).ToHaveTextAsync("● active");
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync($"v{before}");
        Assert.Contains($"version {before}", asked, StringComparison.Ordinal);
        Assert.Equal(before, (await Models())["activeVersion"]!.GetValue<long>());

        // Leave the newest version active for the other tests in this class.
        await page.Locator($"#models tbody tr[data-version='{trained}'] .activate").ClickAsync();
        await Assertions.Expect(page.Locator("#active-model")).ToHaveTextAsync($"v{trained}");
        Assert.Equal(trained, (await Models())["activeVersion"]!.GetValue<long>());
    }

    [Fact]
    public async Task Selecting_another_version_lists_that_versions_cohorts()
    {
        var models = await Models();
        var active = models["activeVersion"]!.GetValue<long>();
        if (models["versions"]!.AsArray().Count < 2)
        {
            (await fixture.Admin.PostAsync("/v1/admin/training", null)).EnsureSuccessStatusCode();
            await TrainedDashboardFixture.WaitForTraining(fixture.Admin, after: active);
            models = await Models();
            active = models["activeVersion"]!.GetValue<long>();
        }

        var other = models["versions"]!.AsArray().First(v => v!["version"]!.GetValue<long>() != active)!;
        var otherVersion = other["version"]!.GetValue<long>();
        var page = await fixture.ConnectedPage(active);
        await Assertions.Expect(page.Locator("#model-cohorts-caption")).ToContainTextAsync($"version {active}");

        var show = page.GetByRole(AriaRole.Button, new() { Name = $"Show cohorts of version {otherVersion}", Exact = true });
        await show.ClickAsync();
        await Assertions.Expect(page.Locator("#model-cohorts-caption")).ToContainTextAsync($"version {otherVersion}");
        await Assertions.Expect(show).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(page.Locator("#model-cohorts tbody tr")).ToHaveCountAsync(other["cohorts"]!.AsArray().Count);
        var first = other["cohorts"]![0]!;
        await Assertions.Expect(page.Locator($"#model-cohorts tbody tr[data-cohort='{first["cohortId"]!.GetValue<int>()}'] td").Nth(3))
            .ToHaveTextAsync(F3(first["globalNdcg"]!.GetValue<double>()));
    }

    [Fact]
    public async Task Try_a_user_shows_explained_recommendations_with_cohort_model_version_and_similar_items()
    {
        var active = (await Models())["activeVersion"]!.GetValue<long>();
        var user = fixture.World.Users[0].Id;
        JsonNode api = null!;
        await Eventually.True(async () =>
        {
            api = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync($"/v1/users/{user}/recommendations?count=5&explain=true"));
            return api["modelVersion"]?.GetValue<long>() == active;
        }, "the silo serves the active model");

        var page = await fixture.ConnectedPage(active);
        await page.FillAsync("#user-id", user);
        await page.ClickAsync("#user-form button");

        await Assertions.Expect(page.Locator("#recommendations .recs-model")).ToHaveTextAsync($"model v{active}");
        await Assertions.Expect(page.Locator("#recommendations .recs-cohort")).ToContainTextAsync($"#{api["cohortId"]!.GetValue<int>()} {api["cohortLabel"]!.GetValue<string>()}");
        // The fallback marker is visible exactly when the cohort is served by the global weights.
        await Assertions.Expect(page.Locator("#recommendations .fallback")).ToHaveCountAsync(api["fallback"]!.GetValue<bool>() ? 1 : 0);
        var items = page.Locator("#recommendations ol.recs > li");
        await Assertions.Expect(items).ToHaveCountAsync(5);
        var known = fixture.World.Items.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            var item = items.Nth(i);
            Assert.Contains(await item.Locator("button.item").InnerTextAsync(), known);
            Assert.False(string.IsNullOrWhiteSpace(await item.Locator(".reason").InnerTextAsync()));
            var contributions = await item.Locator(".contributions li").AllInnerTextsAsync();
            Assert.InRange(contributions.Count, 1, 3);
            Assert.All(contributions, c => Assert.Matches(@"^\S.* [+-]\d+\.\d{3}$", c));
        }

        var firstItem = await items.First.Locator("button.item").InnerTextAsync();
        await items.First.Locator("button.item").ClickAsync();
        await Assertions.Expect(page.Locator("#similar h3")).ToHaveTextAsync($"Similar to {firstItem} (model v{active})");
        var similar = await page.Locator("#similar ol.similar-items li").AllInnerTextsAsync();
        Assert.Equal(5, similar.Count);
        Assert.DoesNotContain(similar, s => s.StartsWith(firstItem + " ", StringComparison.Ordinal));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-user.png"), FullPage = true });

        // A user nobody has seen has no profile, but still gets cold-start recommendations from the model.
        var newcomer = "dm-newcomer";
        var cold = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync($"/v1/users/{newcomer}/recommendations?count=5&explain=true"));
        await page.FillAsync("#user-id", newcomer);
        await page.ClickAsync("#user-form button");
        await Assertions.Expect(page.Locator("#user .error")).ToContainTextAsync("404");
        await Assertions.Expect(page.Locator("#similar")).ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("#recommendations .recs-model")).ToHaveTextAsync($"model v{active}");
        await Assertions.Expect(page.Locator("#recommendations ol.recs > li")).ToHaveCountAsync(cold["items"]!.AsArray().Count);
        await Assertions.Expect(page.Locator("#recommendations .fallback")).ToHaveCountAsync(cold["fallback"]!.GetValue<bool>() ? 1 : 0);
    }

    [Fact]
    public async Task Cohort_list_reports_the_model_version_and_adapted_weights_serving_each_cohort()
    {
        var models = await Models();
        var active = models["activeVersion"]!.GetValue<long>();
        var reports = models["versions"]!.AsArray().Single(v => v!["version"]!.GetValue<long>() == active)!["cohorts"]!.AsArray()
            .ToDictionary(c => c!["cohortId"]!.GetValue<int>(), c => c!["adapted"]!.GetValue<bool>());

        var cohorts = (await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync("/v1/cohorts")))["cohorts"]!.AsArray();
        var served = cohorts.Where(c => reports.ContainsKey(c!["id"]!.GetValue<int>())).ToList();
        Assert.NotEmpty(served);
        foreach (var c in served)
        {
            Assert.Equal(active, c!["modelVersion"]!.GetValue<long>());
            Assert.Equal(reports[c["id"]!.GetValue<int>()], c["usesAdaptedModel"]!.GetValue<bool>());
        }

        var one = await TrainedDashboardFixture.Json(await fixture.Admin.GetAsync($"/v1/cohorts/{served[0]!["id"]}"));
        Assert.Equal(active, one["modelVersion"]!.GetValue<long>());
    }
}
