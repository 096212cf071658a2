using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Xunit.Abstractions;
using static Cohortly.TestSupport.CohortlyApiClient;

namespace Cohortly.Integration.Tests;

/// <summary>
/// Training in cluster mode as operators run it: a real redis-server, two silo processes and a gateway process.
/// The history goes in over HTTP, training reads it back from the Redis streams, both silos serve the trained
/// model, and the model survives a silo being killed without a chance to shut down.
/// </summary>
public sealed class RedisTrainingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalCluster? _cluster;
    private HttpClient? _http;

    private LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    private HttpClient Http => _http ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        // Training publishes the segmentation; the automatic first one would only compete for the CPU.
        // The gateway is ready as soon as one silo is; StartAsync also waits until both silos have joined,
        // or users activated before the second silo joins would all land on the first.
        _cluster = await LocalCluster.StartAsync(
            ClusterSettings.Options("it-train", extra: new Dictionary<string, string> { ["Cohortly__Training__ModelPoll"] = "00:00:00.200", ["Cohortly__Segmentation__MinUsers"] = "1000000" }),
            TimeSpan.FromSeconds(90));
        _http = new HttpClient { BaseAddress = _cluster.Address, Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", ClusterSettings.AdminKey);
    }

    public Task DisposeAsync()
    {
        _http?.Dispose();
        _cluster?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task History_posted_over_http_trains_a_model_both_silos_serve_and_that_survives_a_killed_silo()
    {
        var clock = Stopwatch.StartNew();
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 300, Items = 200, Categories = 8, UserPrefix = "it-train-" }, seed: 31);
        var items = world.Items.Select(i => new { id = i.Id, title = i.Title, categories = new[] { i.Category }, tags = i.Tags, price = i.Price }).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await Http.PutAsJsonAsync("/v1/items", new { items })).StatusCode);
        var history = world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 10, new Random(4));
        foreach (var chunk in history.Chunk(1000))
        {
            var events = chunk.Select(e => new { eventId = e.EventId, userId = e.UserId, itemId = e.ItemId, type = e.Type.ToWireName(), value = e.Value, timestamp = e.Timestamp, context = new { device = e.Device } });
            var posted = await Http.PostAsJsonAsync("/v1/events", new { events });
            Assert.True(posted.StatusCode == HttpStatusCode.Accepted, $"{posted.StatusCode}: {await posted.Content.ReadAsStringAsync()}");
        }

        Phase(clock, $"posted {history.Count} events for {world.Users.Count} users");

        // Enough users activated on both silos: the management grain sees activations on two silos.
        await Eventually.True(async () => await SilosWithActivations() == 2, "both silos host grains", TimeSpan.FromSeconds(60), Diagnostics);

        var started = await Http.PostAsync("/v1/admin/training", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var runId = (await Json(started))["runId"]!.GetValue<string>();
        using var api = new CohortlyApiClient(Http, ClusterSettings.AdminKey);
        JsonNode status;
        try
        {
            status = (await api.WaitForTrainingAsync(s => s["runId"]?.GetValue<string>() == runId, TimeSpan.FromSeconds(120), progress: null, CancellationToken.None)).Status;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Diagnostics()}", e);
        }
        Assert.True(status["state"]!.GetValue<string>() == "succeeded", status.ToJsonString());
        var version = status["lastVersion"]!.GetValue<long>();
        Assert.True(version > 0);
        Phase(clock, $"training run succeeded (version {version})");
        Assert.Equal(version, status["activeVersion"]!.GetValue<long>());

        // Training read every posted user back from the Redis streams.
        var models = await Json(await Http.GetAsync("/v1/models"));
        Assert.Equal(version, models["activeVersion"]!.GetValue<long>());
        var listed = Assert.Single(models["versions"]!.AsArray())!;
        Assert.Equal(version, listed["version"]!.GetValue<long>());
        Assert.Equal(world.Users.Count, listed["users"]!.GetValue<int>());
        Assert.Equal(history.Select(e => e.EventId).Distinct().Count(), listed["events"]!.GetValue<long>());

        // Users are spread over both silos; each silo loads the artifact from Redis and serves it.
        var sample = world.Users.Where((_, i) => i % 5 == 0).Select(u => u.Id).ToList();
        await Eventually.True(() => AllServedBy(sample, version), "sampled users get recommendations from the trained version", TimeSpan.FromSeconds(60), Diagnostics);
        foreach (var silo in Cluster.RunningSilos)
        {
            Assert.Contains($"Model version {version} loaded", silo.Output, StringComparison.Ordinal);
        }

        await AssertSimilarItemsFrom(world.Items[0].Id, version);
        Phase(clock, $"{sample.Count} sampled users served by version {version} on both silos");

        // SIGKILL one silo: no deactivation, no leaving the cluster. Its grains (perhaps the registry and the
        // training grain) come back on the other silo from Redis once membership declares it dead.
        Cluster.KillSilo(1);
        Phase(clock, "silo1 killed");
        await Eventually.True(async () => await SilosWithActivations() == 1, "the cluster declares the killed silo dead", TimeSpan.FromSeconds(90), Diagnostics);
        Phase(clock, "one silo left");
        await Eventually.True(() => AllServedBy(sample, version), "every sampled user is served by the trained version again", TimeSpan.FromSeconds(60), Diagnostics);
        Phase(clock, "every sampled user served again");

        var after = await Json(await Http.GetAsync("/v1/models"));
        Assert.Equal(version, after["activeVersion"]!.GetValue<long>());
        Assert.Equal(version, Assert.Single(after["versions"]!.AsArray())!["version"]!.GetValue<long>());
        var training = await Json(await Http.GetAsync("/v1/admin/training"));
        Assert.Equal("succeeded", training["state"]!.GetValue<string>());
        Assert.Equal(version, training["lastVersion"]!.GetValue<long>());
        await AssertSimilarItemsFrom(world.Items[1].Id, version);

        // A silo that never saw the model finds the active version and its artifact in Redis.
        var fresh = Cluster.StartSilo(3);
        await Eventually.True(() => Task.FromResult(fresh.Output.Contains($"Model version {version} loaded", StringComparison.Ordinal)), "a new silo loads the active model from Redis", TimeSpan.FromSeconds(60), Diagnostics);
        Phase(clock, "a new silo loaded the model");
    }

    private void Phase(Stopwatch clock, string what)
    {
        output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
        clock.Restart();
    }

    private async Task AssertSimilarItemsFrom(string item, long version)
    {
        using var app = new HttpClient { BaseAddress = Http.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        app.DefaultRequestHeaders.Add("X-Api-Key", ClusterSettings.AppKey);
        var response = await app.GetAsync($"/v1/items/{item}/similar?count=5");
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var similar = await Json(response);
        Assert.Equal(version, similar["modelVersion"]!.GetValue<long>());
        var ids = similar["items"]!.AsArray().Select(i => i!["itemId"]!.GetValue<string>()).ToList();
        Assert.Equal(5, ids.Count);
        Assert.DoesNotContain(item, ids);
    }

    private async Task<bool> AllServedBy(IReadOnlyList<string> users, long version)
    {
        foreach (var user in users)
        {
            var response = await Http.GetAsync($"/v1/users/{user}/recommendations?count=5");
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            var body = await Json(response);
            if (body["modelVersion"]?.GetValue<long>() != version || body["fallback"]?.GetValue<bool>() != false || body["items"]!.AsArray().Count != 5)
            {
                return false;
            }
        }

        return true;
    }

    private async Task<int> SilosWithActivations()
    {
        var response = await Http.GetAsync("/v1/admin/stats");
        return response.IsSuccessStatusCode ? (await Json(response))["silosWithActivations"]!.GetValue<int>() : -1;
    }

    private string Diagnostics() => Cluster.Diagnostics();
}
