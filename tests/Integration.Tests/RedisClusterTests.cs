using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Cohortly.Integration.Tests;

/// <summary>
/// The cluster as operators run it: a real redis-server, two silo processes and a gateway process
/// (pure Orleans client). Events go in over HTTP; profiles survive a silo restart.
/// </summary>
public sealed class RedisClusterTests : IAsyncLifetime
{
    private LocalCluster? _cluster;
    private HttpClient? _http;

    private LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _cluster = await LocalCluster.StartAsync(ClusterSettings.Options("it"), TimeSpan.FromSeconds(90));
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
    public async Task Two_silos_on_redis_serve_events_and_keep_user_state_across_a_silo_restart()
    {
        var items = Enumerable.Range(0, 20).Select(i => new { id = $"sku-{i}", title = $"Item {i}", categories = new[] { i % 2 == 0 ? "books" : "garden" }, price = 10.0 + i }).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await _http!.PutAsJsonAsync("/v1/items", new { items })).StatusCode);

        // Enough users that both silos host some of them.
        var users = Enumerable.Range(0, 40).Select(i => $"user-{i}").ToList();
        var events = users.SelectMany((u, n) => new object[]
        {
            new { eventId = $"{u}-1", userId = u, itemId = $"sku-{n % 20}", type = "view" },
            new { eventId = $"{u}-2", userId = u, itemId = $"sku-{n % 20}", type = "add_to_cart" },
            new { eventId = $"{u}-3", userId = u, itemId = $"sku-{n % 20}", type = "purchase", value = 25.0 },
        }).ToArray();
        var response = await _http!.PostAsJsonAsync("/v1/events", new { events });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(events.Length, (await response.Content.ReadFromJsonAsync<JsonNode>())!["accepted"]!.GetValue<int>());

        await Eventually.True(() => AllProfilesComplete(users), "every user has its three events", TimeSpan.FromSeconds(30), Diagnostics);
        var recommendations = await _http!.GetFromJsonAsync<JsonNode>("/v1/users/user-0/recommendations?count=5");
        Assert.False(string.IsNullOrEmpty(recommendations!["recommendationId"]!.GetValue<string>()));
        await Eventually.True(async () =>
            (await _http!.GetFromJsonAsync<JsonNode>("/v1/users/newcomer/recommendations?count=5"))!["items"]!.AsArray().Count == 5,
            "global popularity from both silos reaches the gateway's answers", TimeSpan.FromSeconds(30), Diagnostics);

        // Restart silo 1: its grains deactivate (writing state to Redis) and activate again elsewhere.
        await Cluster.Silo(1).StopGracefullyAsync(TimeSpan.FromSeconds(60));
        Cluster.StartSilo(1);

        await Eventually.True(() => AllProfilesComplete(users), "every profile is found again after the restart", TimeSpan.FromSeconds(60), Diagnostics);
        var profile = await _http!.GetFromJsonAsync<JsonNode>("/v1/users/user-7");
        Assert.Equal(25.0, profile!["monetary"]!.GetValue<double>());
        var item = await _http!.GetFromJsonAsync<JsonNode>("/v1/items/sku-3");
        Assert.Equal("Item 3", item!["title"]!.GetValue<string>());
    }

    private async Task<bool> AllProfilesComplete(IEnumerable<string> users)
    {
        foreach (var user in users)
        {
            var response = await _http!.GetAsync($"/v1/users/{user}");
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            var counts = (await response.Content.ReadFromJsonAsync<JsonNode>())!["counts"]!;
            if (counts["purchase"]!.GetValue<long>() != 1 || counts["view"]!.GetValue<long>() != 1)
            {
                return false;
            }
        }

        return true;
    }

    private string Diagnostics() => Cluster.Diagnostics();
}
