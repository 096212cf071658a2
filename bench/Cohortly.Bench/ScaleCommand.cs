using System.Diagnostics;
using System.Globalization;
using Cohortly.TestSupport;
using static Cohortly.Bench.FailoverCommand;

namespace Cohortly.Bench;

/// <summary>
/// Cluster mode on loopback while silos come and go (issue 16): redis-server, separate silo processes and a gateway
/// process. <c>--mode phases</c> keeps steady ingest and recommendation traffic on while a third silo joins and one
/// leaves by SIGTERM, then checks every user's profile against the events the gateway acknowledged (the failover
/// bench's accounting). <c>--mode silos</c> measures 1, 2 and 3 silos one after the other: recommendations/s at
/// p99 ≤ 50 ms, ingest events/s, and CPU per request summed over the silo processes. Flags: <see cref="Usage"/>.
/// </summary>
internal static class ScaleCommand
{
    internal const string Usage = """
        usage: Cohortly.Bench scale [--mode phases|silos] [options]
        Cluster mode on loopback with separate silo processes, a gateway process and redis-server.
          --mode phases|silos    phases (default): 2 silos -> a 3rd joins -> SIGTERM of silo1, under steady load;
                                 silos: 1 vs 2 vs 3 silos, each on a fresh cluster
          --users N              users the events and requests spread over (default 3000)
          --partitions N         stream partitions (default 8)
          --rebalancer on|off    Orleans' activation rebalancer (Cohortly:Scaling:ActivationRebalancer, default on)
          --loops test|production  silo loop periods: the tests' short flush, cache poll and write-behind (200 ms,
                                 200 ms, 1 s; default for phases) or the product's defaults (1 s, 2 s, 5 s; default
                                 for silos, whose CPU per request should be what an operator's cluster spends)
          --seed N               (default 1)
        phases:
          --rate N               ingest events/s offered, batches of 50 (default 600)
          --recommend-rate N     recommendation GETs/s offered (default 150)
          --phase-seconds N      shortest measured time per phase (default 30)
          --balance-timeout N    longest wait per phase for a balanced cluster (default 120)
          --settle-seconds N     longest wait after the load for every profile to hold its events (default 90)
        silos:
          --silo-counts LIST     silo counts to measure (default 1,2,3)
          --rates LIST           recommendation GETs/s stepped through, no ingest meanwhile (default 100,200,400,800)
          --step-seconds N       seconds per rate step (default 10)
          --ingest-seconds N     seconds of closed-loop ingest (16 batches of 100 in flight) per silo count (default 10)
          --warmup-seconds N     recommendation GETs at the first rate before the ladder, not measured (default 5):
                                 the first requests of a fresh cluster pay for JIT and new connections
        ports (a shared machine gives each user a range; defaults: free ports):
          --http-port N          gateway HTTP port (default: $COHORTLY_BENCH_PORT)
          --silo-ports A-B       silo ports, silo n takes the n-th (default: $COHORTLY_BENCH_SILO_PORTS)
          --gateway-ports A-B    silo gateway ports, silo n takes the n-th (default: $COHORTLY_BENCH_GATEWAY_PORTS)
        Prints per phase: recommendations/s and p99, acknowledged ingest events/s, activations and partitions per silo,
        errors, seconds until balanced; after phases: acknowledged / lost / doubled events. Exit 1 when an event was
        lost or doubled, or a request failed.
        """;

    private const double P99Goal = 50;

    public static Task<int> RunAsync(string[] args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(Usage);
            return Task.FromResult(0);
        }

        return HttpBenchRunner.RunAsync("scale", args, Run);
    }

    private static async Task<int> Run(BenchArgs a, string[] rawArgs, CancellationToken cancellationToken)
    {
        var mode = a.Get("mode") ?? "phases";
        var loops = a.Get("loops") ?? (mode == "silos" ? "production" : "test");
        if (loops is not ("test" or "production"))
        {
            throw new ArgumentException($"--loops must be test or production, not '{loops}'");
        }

        var settings = new ScaleSettings(
            a.GetInt("users", 3000),
            a.GetInt("partitions", 8),
            (a.Get("rebalancer") ?? "on") switch
            {
                "on" => true,
                "off" => false,
                var other => throw new ArgumentException($"--rebalancer must be on or off, not '{other}'"),
            },
            a.GetInt("seed", 1),
            a.Get("http-port") is { } hp ? int.Parse(hp, CultureInfo.InvariantCulture) : EnvInt("COHORTLY_BENCH_PORT"),
            Range(a.Get("silo-ports") ?? Environment.GetEnvironmentVariable("COHORTLY_BENCH_SILO_PORTS"), "--silo-ports"),
            Range(a.Get("gateway-ports") ?? Environment.GetEnvironmentVariable("COHORTLY_BENCH_GATEWAY_PORTS"), "--gateway-ports"),
            loops == "test");
        if (settings.Users < 10 || settings.Partitions is < 1 or > 1024)
        {
            throw new ArgumentException("need --users ≥ 10 and --partitions 1..1024");
        }

        return mode switch
        {
            "phases" => await Phases(a, rawArgs, settings, cancellationToken),
            "silos" => await Silos(a, rawArgs, settings, cancellationToken),
            _ => throw new ArgumentException($"--mode must be phases or silos, not '{mode}'"),
        };
    }

    private static async Task<int> Phases(BenchArgs a, string[] rawArgs, ScaleSettings s, CancellationToken cancellationToken)
    {
        var rate = a.GetInt("rate", 600);
        var recommendRate = a.GetInt("recommend-rate", 150);
        var phaseSeconds = TimeSpan.FromSeconds(a.GetInt("phase-seconds", 30));
        var balanceTimeout = TimeSpan.FromSeconds(a.GetInt("balance-timeout", 120));
        var settle = TimeSpan.FromSeconds(a.GetInt("settle-seconds", 90));
        if (rate < 50 || recommendRate < 1 || phaseSeconds < TimeSpan.FromSeconds(5))
        {
            throw new ArgumentException("need --rate ≥ 50, --recommend-rate ≥ 1, --phase-seconds ≥ 5");
        }

        using var cluster = await StartAsync(s, silos: 2, cancellationToken);
        using var http = Client(cluster);
        var run = new DrillRun(s.Users, s.Seed);
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ingest = SteadyIngest(http, run, rate, 50, clock, stop.Token);
        var recommend = Recommend(http, recommendRate, run, clock, stop.Token);

        // Warm-up: every user gets events (so each has an activation) before the first phase is measured.
        var warmUp = TimeSpan.FromSeconds(Math.Max(10, s.Users / (double)rate * 2));
        Console.Error.WriteLine($"scale: warming up for {warmUp.TotalSeconds:F0} s ...");
        await Task.Delay(warmUp, cancellationToken);

        var phases = new List<PhaseResult>
        {
            await Phase("2 silos", cluster, http, run, clock, s, phaseSeconds, balanceTimeout, change: null, cancellationToken),
            await Phase("silo3 joins", cluster, http, run, clock, s, phaseSeconds, balanceTimeout, change: () =>
            {
                cluster.StartSilo(3);
                return Task.CompletedTask;
            }, cancellationToken),
        };
        TimeSpan? stoppedAfter = null;
        phases.Add(await Phase("SIGTERM silo1", cluster, http, run, clock, s, phaseSeconds, balanceTimeout, change: async () =>
        {
            run.KillTime = clock.Elapsed;
            var watch = Stopwatch.StartNew();
            await cluster.StopSiloAsync(1, TimeSpan.FromMinutes(3));
            stoppedAfter = watch.Elapsed;
            Console.Error.WriteLine($"scale: silo1 exited after {stoppedAfter.Value.TotalSeconds:F1} s; its log's end:\n{cluster.Silo(1).Tail(3000)}");
        }, cancellationToken));

        await stop.CancelAsync();
        await Task.WhenAll(ingest, recommend);
        Console.Error.WriteLine($"scale: load over at {clock.Elapsed.TotalSeconds:F1} s; {run.Acknowledged} events acknowledged, {run.Unacknowledged} not; resending those ...");
        await ResendUnacknowledged(http, run, 50, TimeSpan.FromSeconds(60), clock, cancellationToken);
        var (lost, doubled, settled, unreadable) = await Settle(http, run, settle, clock, cancellationToken);
        var exitCode = cluster.Silo(1).ExitCode;

        Console.WriteLine();
        Console.WriteLine("```");
        Console.WriteLine("# cohortly scale (phases)");
        Console.WriteLine($"command:    {BenchReport.Command("scale", rawArgs)}");
        Console.WriteLine($"machine:    {BenchReport.Machine()}; redis-server, silo processes, gateway and this client on the same machine (loopback)");
        Console.WriteLine($"date:       {BenchReport.Date()}");
        Console.WriteLine($"setup:      {s.Users} users; {rate} events/s offered in batches of 50 and {recommendRate} recommendation GETs/s on random users throughout; {s.Partitions} partitions; activation rebalancer {(s.Rebalancer ? "on" : "off")}; warm-up {warmUp.TotalSeconds:F0} s; {(s.TestLoops ? "the tests' loop periods" : "the product's loop periods")}");
        foreach (var p in phases)
        {
            Console.WriteLine($"{p.Name + ":",-15} {p.Describe()}");
        }

        Console.WriteLine($"leave:      silo1 exited {(exitCode is { } code ? $"with code {code}" : "not at all")} {stoppedAfter?.TotalSeconds:F1} s after SIGTERM");
        Console.WriteLine($"events:     acknowledged {run.Acknowledged}, lost {lost}, doubled {doubled} (per user: profile total vs acknowledged events); {(settled is { } t ? $"every profile exact {t.TotalSeconds:F1} s after the SIGTERM" : $"profiles not all exact {settle.TotalSeconds:F0} s after the load")}; never acknowledged {run.Unacknowledged}; unreadable profiles {unreadable}");
        Console.WriteLine($"errors:     whole run {run.ErrorsBetween(TimeSpan.Zero, TimeSpan.MaxValue)}; batch answers {run.BatchOutcomes()}");
        Console.WriteLine("```");
        return lost == 0 && doubled == 0 && run.ErrorCountBetween(TimeSpan.Zero, TimeSpan.MaxValue) == 0 && exitCode == 0 ? 0 : 1;
    }

    /// <summary>
    /// One phase: applies the change (if any), then measures for at least <paramref name="minimum"/> and until the
    /// cluster is balanced (or the timeout), sampling activations and partitions per silo every second.
    /// </summary>
    private static async Task<PhaseResult> Phase(
        string name, LocalCluster cluster, CohortlyApiClient http, DrillRun run, Stopwatch clock, ScaleSettings s,
        TimeSpan minimum, TimeSpan balanceTimeout, Func<Task>? change, CancellationToken cancellationToken)
    {
        var start = clock.Elapsed;
        Console.Error.WriteLine($"scale: phase '{name}' at {start.TotalSeconds:F1} s");
        var changing = change?.Invoke() ?? Task.CompletedTask;
        TimeSpan? balancedAfter = null;
        IReadOnlyList<SiloShare> shares = [];
        var cpuStart = SiloCpu(cluster);
        while (true)
        {
            await Task.Delay(1000, cancellationToken);
            try
            {
                shares = await ClusterShares.ReadAsync(cluster, http, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Console.Error.WriteLine($"scale: cluster view failed ({e.Message})");
                continue;
            }

            var elapsed = clock.Elapsed - start;
            if (balancedAfter is null && changing.IsCompleted && ClusterShares.Balanced(shares, s.Partitions, 0.2))
            {
                balancedAfter = elapsed;
                Console.Error.WriteLine($"scale: '{name}' balanced after {elapsed.TotalSeconds:F1} s: {ClusterShares.Describe(shares)}");
            }

            if (elapsed >= minimum && changing.IsCompleted && (balancedAfter is not null || elapsed >= balanceTimeout))
            {
                break;
            }
        }

        await changing;
        var end = clock.Elapsed;
        var latencies = run.LatenciesBetween(start, end);
        var seconds = (end - start).TotalSeconds;
        return new PhaseResult(
            name,
            latencies.Length / seconds,
            latencies.Length == 0 ? double.NaN : BenchReport.Percentile(latencies, 0.99),
            run.AckRate(start, end),
            ClusterShares.Describe(shares),
            run.ErrorsBetween(start, end),
            balancedAfter,
            (SiloCpu(cluster) - cpuStart).TotalSeconds / seconds);
    }

    /// <summary>1, 2, 3 silos, each a fresh cluster: ingest capacity, then a ladder of recommendation rates.</summary>
    private static async Task<int> Silos(BenchArgs a, string[] rawArgs, ScaleSettings s, CancellationToken cancellationToken)
    {
        var counts = (a.Get("silo-counts") ?? "1,2,3").Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var rates = (a.Get("rates") ?? "100,200,400,800").Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var step = TimeSpan.FromSeconds(a.GetInt("step-seconds", 10));
        var ingestSeconds = TimeSpan.FromSeconds(a.GetInt("ingest-seconds", 10));
        var warmup = TimeSpan.FromSeconds(a.GetInt("warmup-seconds", 5));
        if (counts.Any(c => c is < 1 or > 8) || rates.Any(r => r < 1) || step < TimeSpan.FromSeconds(3))
        {
            throw new ArgumentException("need --silo-counts in 1..8, --rates ≥ 1, --step-seconds ≥ 3");
        }

        var rows = new List<string>();
        var failed = false;
        foreach (var n in counts)
        {
            using var cluster = await StartAsync(s, n, cancellationToken);
            using var http = Client(cluster);
            var run = new DrillRun(s.Users, s.Seed);
            var clock = Stopwatch.StartNew();

            // Ingest capacity: closed loop, 16 batches of 100 in flight; also gives every user an activation.
            Console.Error.WriteLine($"scale: {n} silo(s): ingest for {ingestSeconds.TotalSeconds:F0} s ...");
            var cpu0 = SiloCpu(cluster);
            var ingestStart = clock.Elapsed;
            await ClosedLoopIngest(http, run, 100, 16, ingestSeconds, clock, cancellationToken);
            var ingestEnd = clock.Elapsed;
            var ingestCpu = SiloCpu(cluster) - cpu0;
            var acked = run.AckRate(ingestStart, ingestEnd);
            var cpuPerEvent = ingestCpu.TotalMicroseconds / Math.Max(1, acked * (ingestEnd - ingestStart).TotalSeconds);
            var drained = await WaitUntilQuiet(cluster, TimeSpan.FromSeconds(90), cancellationToken);
            Console.Error.WriteLine($"scale: {n} silo(s): the ingest backlog drained after {drained.TotalSeconds:F0} s");

            if (warmup > TimeSpan.Zero)
            {
                using var warm = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                warm.CancelAfter(warmup);
                await Recommend(http, rates[0], new DrillRun(s.Users, s.Seed + 1), clock, warm.Token);
            }

            // The silos' CPU with no requests (polls, flushes, membership, the rebalancer): subtracted from each step's
            // CPU, what is left is what the requests cost, which is what a cluster of real machines multiplies.
            var idleFrom = SiloCpu(cluster);
            var idleWatch = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
            var idleCores = (SiloCpu(cluster) - idleFrom).TotalSeconds / idleWatch.Elapsed.TotalSeconds;

            var steps = new List<string>();
            var best = 0.0;
            var cpuPerRequest = double.NaN;
            var marginalPerRequest = double.NaN;
            foreach (var r in rates)
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                stop.CancelAfter(step);
                var c0 = SiloCpu(cluster);
                var from = clock.Elapsed;
                await Recommend(http, r, run, clock, stop.Token);
                var to = clock.Elapsed;
                var cpu = SiloCpu(cluster) - c0;
                var ms = run.LatenciesBetween(from, to);
                var errors = run.ErrorCountBetween(from, to);
                var p99 = ms.Length == 0 ? double.NaN : BenchReport.Percentile(ms, 0.99);
                var achieved = ms.Length / (to - from).TotalSeconds;
                steps.Add(string.Create(CultureInfo.InvariantCulture, $"{r}/s: {achieved:F0}/s p99 {p99:F1} ms, silos {cpu.TotalSeconds / (to - from).TotalSeconds:F2} cores{(errors > 0 ? $", errors {run.ErrorsBetween(from, to)}" : "")}"));
                if (ms.Length > 0)
                {
                    // At the highest rate measured: the silos' fixed costs (polls, flushes) weigh least there.
                    cpuPerRequest = cpu.TotalMicroseconds / ms.Length;
                    marginalPerRequest = (cpu.TotalMicroseconds - (idleCores * (to - from).TotalMicroseconds)) / ms.Length;
                }

                if (errors > 0)
                {
                    foreach (var (at, endpoint, error) in run.ErrorListBetween(from, to))
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scale: {n} silo(s), {r}/s: {endpoint} failed ({error}) at {(at - from).TotalSeconds:F2} s of the {(to - from).TotalSeconds:F2} s step"));
                    }

                    Console.Error.WriteLine(cluster.Diagnostics(2000));
                }

                if (p99 <= P99Goal && errors == 0)
                {
                    best = Math.Max(best, achieved);
                }
                else
                {
                    break;
                }
            }

            failed |= run.ErrorCountBetween(TimeSpan.Zero, TimeSpan.MaxValue) > 0;
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {n} | {best:F0} | {acked:F0} | {cpuPerRequest:F0} | {marginalPerRequest:F0} | {idleCores:F2} | {cpuPerEvent:F0} | {string.Join("; ", steps)} |"));
        }

        Console.WriteLine();
        Console.WriteLine("```");
        Console.WriteLine("# cohortly scale (silos)");
        Console.WriteLine($"command:    {BenchReport.Command("scale", rawArgs)}");
        Console.WriteLine($"machine:    {BenchReport.Machine()}; redis-server, silo processes, gateway and this client on the same machine (loopback)");
        Console.WriteLine($"date:       {BenchReport.Date()}");
        Console.WriteLine($"setup:      {s.Users} users, {s.Partitions} partitions, {(s.TestLoops ? "the tests' loop periods" : "the product's loop periods")}, a fresh cluster per silo count; ingest closed loop (16 × 100-event batches in flight) for {ingestSeconds.TotalSeconds:F0} s, {warmup.TotalSeconds:F0} s of unmeasured recommendation GETs at {rates[0]}/s, then recommendation GETs open loop at each rate for {step.TotalSeconds:F0} s without ingest; the ladder stops at the first rate whose p99 > {P99Goal} ms or with an error");
        Console.WriteLine("CPU is summed over the silo processes (not the gateway, redis or this client); per recommendation at the ladder's last rate (idle costs included, then less the silos' CPU over 5 s without requests measured before the ladder), per acknowledged event during the ingest step.");
        Console.WriteLine("```");
        Console.WriteLine();
        Console.WriteLine("| silos | recommendations/s at p99 ≤ 50 ms | ingest events/s | silo CPU µs per recommendation | the same less the idle CPU | silos' idle cores | silo CPU µs per event | ladder |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine(row);
        }

        return failed ? 1 : 0;
    }

    private static async Task<LocalCluster> StartAsync(ScaleSettings s, int silos, CancellationToken cancellationToken)
    {
        var keys = ($"bench-app-{Guid.NewGuid():N}", $"bench-admin-{Guid.NewGuid():N}");
        var env = s.TestLoops
            ? FastLoops.Processes.AsEnvironment()
            : new Dictionary<string, string> { ["Cohortly__Drift__Enabled"] = "false" };
        env["Cohortly__Streams__Partitions"] = s.Partitions.ToString(CultureInfo.InvariantCulture);
        env["Cohortly__Scaling__ActivationRebalancer"] = s.Rebalancer ? "true" : "false";
        Console.Error.WriteLine($"scale: starting redis-server, {silos} silo(s) and a gateway on loopback ...");
        var cluster = await LocalCluster.StartAsync(
            new LocalClusterOptions
            {
                Name = "bench-scale",
                Silos = silos,
                AppKey = keys.Item1,
                AdminKey = keys.Item2,
                Environment = env,
                HttpPort = s.HttpPort,
                SiloPorts = s.SiloPorts,
                SiloGatewayPorts = s.GatewayPorts,
            },
            TimeSpan.FromSeconds(120),
            cancellationToken);
        cluster.DisposeOnExit();
        return cluster;
    }

    private static CohortlyApiClient Client(LocalCluster cluster) =>
        CohortlyApiClient.ForLoopback(cluster.Address.ToString().TrimEnd('/'), cluster.Options.AppKey, cluster.Options.AdminKey, 64, TimeSpan.FromSeconds(10));

    /// <summary>CPU of every silo process started so far; one that exited counts with its last reading (a silo that
    /// leaves would otherwise subtract its whole life from the phase it left in).</summary>
    private static TimeSpan SiloCpu(LocalCluster cluster)
    {
        foreach (var silo in cluster.RunningSilos)
        {
            var now = silo.CpuTime;
            if (now > TimeSpan.Zero)
            {
                LastCpu[silo.Id] = now;
            }
        }

        var total = TimeSpan.Zero;
        foreach (var (_, cpu) in LastCpu)
        {
            total += cpu;
        }

        return total;
    }

    private static readonly Dictionary<int, TimeSpan> LastCpu = [];

    /// <summary>Open loop until <paramref name="stop"/>: batch i is due at i × batch / rate, at most 32 in flight.</summary>
    private static async Task SteadyIngest(CohortlyApiClient http, DrillRun run, int rate, int batch, Stopwatch clock, CancellationToken stop)
    {
        using var slots = new SemaphoreSlim(32);
        var sends = new List<Task>();
        var interval = TimeSpan.FromSeconds(batch / (double)rate);
        var start = clock.Elapsed;
        try
        {
            for (var i = 0; ; i++)
            {
                var due = start + (interval * i) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, stop);
                }

                await slots.WaitAsync(stop);
                var indices = run.NewEvents(batch);
                if (run.TakeRetry() is { } retry)
                {
                    sends.Add(Send(retry, acquired: false));
                }

                sends.Add(Send(indices, acquired: true));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        await Task.WhenAll(sends);

        async Task Send(int[] indices, bool acquired)
        {
            try
            {
                var (status, notAccepted) = await http.TryPostEventsAsync(run.Body(indices), indices.Length, CancellationToken.None);
                run.Answered(indices, status, notAccepted, clock.Elapsed);
            }
            finally
            {
                if (acquired)
                {
                    slots.Release();
                }
            }
        }
    }

    /// <summary>Waits until the silos are nearly idle (under 0.1 core each over a second): the events accepted during
    /// the ingest step are applied, so the recommendation ladder does not measure their backlog. Bounded.</summary>
    private static async Task<TimeSpan> WaitUntilQuiet(LocalCluster cluster, TimeSpan limit, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var silos = cluster.RunningSilos.Count();
        var last = SiloCpu(cluster);
        while (watch.Elapsed < limit)
        {
            await Task.Delay(1000, cancellationToken);
            var now = SiloCpu(cluster);
            if ((now - last).TotalSeconds < 0.1 * silos)
            {
                break;
            }

            last = now;
        }

        return watch.Elapsed;
    }

    private static async Task ClosedLoopIngest(CohortlyApiClient http, DrillRun run, int batch, int inFlight, TimeSpan duration, Stopwatch clock, CancellationToken cancellationToken)
    {
        var until = clock.Elapsed + duration;
        var workers = new Task[inFlight];
        for (var w = 0; w < inFlight; w++)
        {
            workers[w] = Task.Run(
                async () =>
                {
                    while (clock.Elapsed < until)
                    {
                        var indices = run.NewEvents(batch);
                        var (status, notAccepted) = await http.TryPostEventsAsync(run.Body(indices), indices.Length, cancellationToken);
                        run.Answered(indices, status, notAccepted, clock.Elapsed);
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(workers);
    }

    private static int? EnvInt(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    /// <summary>"A-B" (inclusive) or "A,B,C" as a list of ports; null stays null (free ports).</summary>
    private static int[]? Range(string? text, string flag)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            if (text.Split('-') is [var first, var last])
            {
                var a = int.Parse(first, CultureInfo.InvariantCulture);
                var b = int.Parse(last, CultureInfo.InvariantCulture);
                return b >= a ? Enumerable.Range(a, b - a + 1).ToArray() : throw new ArgumentException($"{flag}: '{text}' is an empty range");
            }

            return text.Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{flag}: '{text}' is not a port range (A-B) or list (A,B,C)");
        }
    }

    private sealed record ScaleSettings(int Users, int Partitions, bool Rebalancer, int Seed, int? HttpPort, int[]? SiloPorts, int[]? GatewayPorts, bool TestLoops);

    private sealed record PhaseResult(string Name, double RecommendationsPerSecond, double P99, double IngestPerSecond, string Shares, string Errors, TimeSpan? BalancedAfter, double SiloCores)
    {
        public string Describe() => string.Create(
            CultureInfo.InvariantCulture,
            $"recommendations {RecommendationsPerSecond:F0}/s p99 {P99:F1} ms; ingest {IngestPerSecond:F0} events/s acknowledged; silos {Shares}; errors {Errors}; balanced {(BalancedAfter is { } b ? $"after {b.TotalSeconds:F0} s" : "never within the timeout")}; silo CPU {SiloCores:F2} cores");
    }
}
