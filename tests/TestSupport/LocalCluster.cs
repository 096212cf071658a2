using System.Globalization;
using System.Text;

namespace Cohortly.TestSupport;

/// <summary>What a <see cref="LocalCluster"/> starts.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>Prefix of the cluster id (a random suffix keeps two runs apart in one Redis).</summary>
    public string Name { get; init; } = "local";

    public int Silos { get; init; } = 2;

    public string AppKey { get; init; } = "local-app-key";

    public string AdminKey { get; init; } = "local-admin-key";

    /// <summary>Redis persistence: null for none, else the appendfsync policy ("always" or "everysec").</summary>
    public string? AppendFsync { get; init; }

    /// <summary>
    /// Fixed loopback ports instead of free ones (a shared machine where each user of it has a range): the gateway's
    /// HTTP port, and silo n's silo and gateway ports at index n - 1 of <see cref="SiloPorts"/> /
    /// <see cref="SiloGatewayPorts"/>. Null or too short: free ports.
    /// </summary>
    public int? HttpPort { get; init; }

    /// <inheritdoc cref="HttpPort"/>
    public IReadOnlyList<int>? SiloPorts { get; init; }

    /// <inheritdoc cref="HttpPort"/>
    public IReadOnlyList<int>? SiloGatewayPorts { get; init; }

    /// <summary>Added to (or overriding) every silo's and the gateway's environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The cluster as operators run it, on loopback: a real redis-server, silo processes (src/Silo) and a gateway process
/// (src/Gateway, a pure Orleans client), each on free ports. Any of them can be killed with SIGKILL and started
/// again; a silo restarts on its own ports, as a restarted machine would. Every process is killed on dispose.
/// Shared by the integration tests and the bench.
/// </summary>
public sealed class LocalCluster : IDisposable
{
    /// <summary>Logged by the host once every hosted service started, i.e. once the silo is active in the cluster.</summary>
    public const string HostStarted = "Application started";

    private readonly Dictionary<int, ChildProcess> _silos = [];
    private readonly Dictionary<int, (int Silo, int Gateway)> _siloPorts = [];
    private readonly List<ChildProcess> _started = [];
    private ChildProcess? _gateway;

    private LocalCluster(LocalClusterOptions options)
    {
        Options = options;
        ClusterId = options.Name + "-" + Guid.NewGuid().ToString("N")[..8];
        HttpPort = options.HttpPort ?? Ports.Free();
        Redis = new RedisServer(options.AppendFsync);
    }

    public LocalClusterOptions Options { get; }

    public string ClusterId { get; }

    public int HttpPort { get; }

    public Uri Address => new($"http://127.0.0.1:{HttpPort}");

    public RedisServer Redis { get; }

    public ChildProcess Gateway => _gateway ?? throw new InvalidOperationException("The gateway is not started.");

    /// <summary>Redis, <see cref="LocalClusterOptions.Silos"/> silos and the gateway, ready when every silo has joined and the gateway answers /readyz.</summary>
    public static async Task<LocalCluster> StartAsync(LocalClusterOptions options, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var cluster = new LocalCluster(options);
        try
        {
            await cluster.Redis.WaitUntilReadyAsync(timeout, cancellationToken);
            for (var n = 1; n <= options.Silos; n++)
            {
                cluster.StartSilo(n);
            }

            cluster.StartGateway();
            await cluster.WaitUntilReadyAsync(timeout, cancellationToken);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public ChildProcess Silo(int n) => _silos[n];

    /// <summary>Process ids of redis-server, the running silos and the gateway: what the cluster costs in CPU.</summary>
    public IReadOnlyList<int> ProcessIds =>
        [Redis.ProcessId, .. RunningSilos.Select(s => s.Id), .. _gateway is { HasExited: false } g ? [g.Id] : Array.Empty<int>()];

    public IEnumerable<ChildProcess> RunningSilos => _silos.Values.Where(p => !p.HasExited);

    /// <summary>Starts silo <paramref name="n"/> (1-based), on the ports it had before if it ran before.</summary>
    public ChildProcess StartSilo(int n)
    {
        if (_silos.TryGetValue(n, out var running) && !running.HasExited)
        {
            throw new InvalidOperationException($"silo{n} is still running");
        }

        if (!_siloPorts.TryGetValue(n, out var ports))
        {
            ports = (Options.SiloPorts is { } fixedPorts && n <= fixedPorts.Count ? fixedPorts[n - 1] : Ports.Free(),
                Options.SiloGatewayPorts is { } fixedGateways && n <= fixedGateways.Count ? fixedGateways[n - 1] : Ports.Free());
            _siloPorts[n] = ports;
        }

        var dll = Repo.Output("Silo", "Cohortly.Silo.dll");
        var process = new ChildProcess($"silo{n}", "dotnet", [dll], Path.GetDirectoryName(dll)!, Environment(ports.Silo, ports.Gateway));
        _silos[n] = process;
        _started.Add(process);
        return process;
    }

    /// <summary>SIGKILL of silo <paramref name="n"/>: no deactivation, no leaving the cluster.</summary>
    public void KillSilo(int n) => _silos[n].KillHard();

    /// <summary>SIGTERM of silo <paramref name="n"/>, then waits until it exited (it deactivates its grains, hands its
    /// stream partitions over and leaves the membership table); a silo still running after <paramref name="timeout"/>
    /// is killed and the call throws.</summary>
    public Task StopSiloAsync(int n, TimeSpan timeout) => _silos[n].StopGracefullyAsync(timeout);

    /// <summary>Silo numbers (1-based) of the silos still running.</summary>
    public IReadOnlyList<int> RunningSiloNumbers => [.. _silos.Where(s => !s.Value.HasExited).Select(s => s.Key).Order()];

    /// <summary>The silo and gateway ports silo <paramref name="n"/> was started on.</summary>
    public (int Silo, int Gateway) SiloPortsOf(int n) => _siloPorts[n];

    public ChildProcess StartGateway()
    {
        if (_gateway is { HasExited: false })
        {
            throw new InvalidOperationException("the gateway is still running");
        }

        var dll = Repo.Output("Gateway", "Cohortly.Gateway.dll");
        var env = Environment(0, 0);
        env["Cohortly__ApiKeys__App"] = Options.AppKey;
        env["Cohortly__ApiKeys__Admin"] = Options.AdminKey;
        env["Cohortly__Demo__Enabled"] = "false";
        // The working directory is the build output, so the gateway reads its appsettings.json (log levels).
        _gateway = new ChildProcess("gateway", "dotnet", [dll, "--urls", Address.ToString().TrimEnd('/')], Path.GetDirectoryName(dll)!, env);
        _started.Add(_gateway);
        return _gateway;
    }

    public void KillGateway() => Gateway.KillHard();

    /// <summary>Every running silo has joined and the gateway's /readyz round-trips a grain call.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.True(() => Task.FromResult(RunningSilos.All(p => p.Output.Contains(HostStarted, StringComparison.Ordinal))), "every silo has joined the cluster", timeout, () => Diagnostics(), cancellationToken);
        await Eventually.True(async () => (await http.GetAsync("/readyz", cancellationToken)).IsSuccessStatusCode, "the gateway reaches the cluster", timeout, () => Diagnostics(), cancellationToken);
    }

    /// <summary>The log tail of every process started, including those killed or replaced since.</summary>
    public string Diagnostics(int chars = 3000)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"--- redis (port {Redis.Port}, appendfsync {Redis.AppendFsync ?? "off"})\n{Redis.Tail(chars / 2)}\n");
        foreach (var p in _started)
        {
            text.Append(CultureInfo.InvariantCulture, $"--- {p.Name} (pid {p.Id}, exited: {p.HasExited})\n{p.Tail(chars)}\n");
        }

        return text.ToString();
    }

    /// <summary>For a command-line host: SIGTERM of this process (or its normal exit) kills the children too.</summary>
    public void DisposeOnExit() => AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();

    public void Dispose()
    {
        foreach (var p in _started)
        {
            p.Dispose();
        }

        Redis.Dispose();
    }

    private Dictionary<string, string> Environment(int siloPort, int gatewayPort)
    {
        var env = new Dictionary<string, string>
        {
            ["Cohortly__Cluster"] = "Redis",
            ["ConnectionStrings__Redis"] = Redis.ConnectionString,
            ["Cohortly__ClusterId"] = ClusterId,
            ["Cohortly__Silo__Port"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Cohortly__Silo__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in Options.Environment)
        {
            env[key] = value;
        }

        return env;
    }
}
