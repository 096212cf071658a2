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
    private const string AppKey = "it-app-key";
    private const string AdminKey = "it-admin-key";
    private readonly RedisServer _redis = new();
    private readonly List<ChildProcess> _processes = [];
    private readonly string _clusterId = "it-" + Guid.NewGuid().ToString("N")[..8];
    private readonly int _httpPort = Ports.Free();
    private HttpClient? _http;

    public async Task InitializeAsync()
    {
        try
        {
            await Start();
        }
        catch
        {
            // xUnit does not call DisposeAsync when InitializeAsync throws: stop the processes here.
            await DisposeAsync();
            throw;
        }
    }

    private async Task Start()
    {
        await _redis.WaitUntilReadyAsync();
        _processes.Add(StartSilo(1));
        _processes.Add(StartSilo(2));
        _processes.Add(StartGateway());
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpPort}"), Timeout = TimeSpan.FromSeconds(10) };
        _http!.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        await Eventually.True(async () => (await _http!.GetAsync("/readyz")).IsSuccessStatusCode, "the gateway reaches the cluster", TimeSpan.FromSeconds(90), Diagnostics);
    }

    public Task DisposeAsync()
    {
        _http?.Dispose();
        foreach (var p in _processes)
        {
            p.Dispose();
        }

        _redis.Dispose();
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
        await _processes[0].StopGracefullyAsync(TimeSpan.FromSeconds(60));
        _processes[0] = StartSilo(1);

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

    private Dictionary<string, string> Environment(int siloPort, int gatewayPort) => new()
    {
        ["Cohortly__Cluster"] = "Redis",
        ["ConnectionStrings__Redis"] = _redis.ConnectionString,
        ["Cohortly__ClusterId"] = _clusterId,
        ["Cohortly__Silo__Port"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Cohortly__Silo__GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Cohortly__FlushMilliseconds"] = "200",
        ["Cohortly__CachePollMilliseconds"] = "200",
        ["Cohortly__Users__WriteBehindSeconds"] = "1",
        ["DOTNET_ENVIRONMENT"] = "Development",
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
    };

    private readonly Dictionary<int, (int Silo, int Gateway)> _siloPorts = [];

    private ChildProcess StartSilo(int n)
    {
        if (!_siloPorts.TryGetValue(n, out var ports))
        {
            ports = (Ports.Free(), Ports.Free());
            _siloPorts[n] = ports;
        }

        var dll = Repo.Output("Silo", "Cohortly.Silo.dll");
        return new ChildProcess($"silo{n}", "dotnet", [dll], Path.GetDirectoryName(dll)!, Environment(ports.Silo, ports.Gateway));
    }

    private ChildProcess StartGateway()
    {
        var dll = Repo.Output("Gateway", "Cohortly.Gateway.dll");
        var env = Environment(0, 0);
        env["Cohortly__ApiKeys__App"] = AppKey;
        env["Cohortly__ApiKeys__Admin"] = AdminKey;
        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{_httpPort}";
        return new ChildProcess("gateway", "dotnet", [dll, "--urls", $"http://127.0.0.1:{_httpPort}"], Path.GetDirectoryName(dll)!, env);
    }

    private string Diagnostics() => string.Join("\n", _processes.Select(p => $"--- {p.Name} (exited: {p.HasExited})\n{p.Tail(3000)}"));
}
