using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.TestSupport;
using Microsoft.Diagnostics.NETCore.Client;
using StackExchange.Redis;

namespace Cohortly.Bench;

/// <summary>
/// Memory bounded by the active set, in cluster mode on loopback: redis-server, silo processes and a gateway process;
/// distinct users are pushed through the gateway in waves while users of earlier waves go idle and deactivate
/// (Cohortly:Users:IdleDeactivation, short for the run). After each wave: per silo RSS, managed heap (the span of its heap
/// segments right after a full collection, ClrMD) and activations; Redis bytes per stored user; the first-request latency of users idle longer than the
/// idle age (a reactivation from storage). At the end: the slope of silo memory per 100k additional idle users over
/// the waves where the active set is steady. Flags: BenchHelp.
/// </summary>
internal static class MemoryCommand
{
    internal const string Usage = """
        usage: Cohortly.Bench memory [options]
          --users N              distinct users pushed in all (default 200000)
          --wave N               users per wave (default 20000)
          --events-per-user N    events per user: view, click, then purchases (default 3)
          --idle-seconds N       Cohortly:Users:IdleDeactivation for the run (default 20; streams leave the agents after half)
          --silos N              silo processes (default 2)
          --connections N        concurrent POST /v1/events (default 8), --batch N events per POST (default 200)
          --items N              distinct item ids (default 5000)
          --samples N            idle users whose first request is timed after each wave (default 100)
          --port N               the gateway's HTTP port (default $COHORTLY_BENCH_PORT, else a free port)
          --silo-ports A,B       first silo port and first silo gateway port (default $COHORTLY_BENCH_SILO_PORTS, else free)
          --seed N               (default 1)
          --hold-seconds N       keep the cluster up this long after the summary (silo pids printed), e.g. for
                                 `heap --pid` (default 0)
        Waves are paced on the silos, not the gateway: after a wave's events are acknowledged the bench waits until
        the silos have applied them (the events applied that GET /v1/admin/cluster sums over the silos reach the events
        sent, and no stream partition reports lag), and the wave's idle clock starts then. A wave is measured no sooner
        than 1.5 × the idle age + 5 s after the previous wave was applied, so only the current wave's users are
        resident when it is measured (a clock started at the acknowledgement let waves overlap the silos' backlog).
        Prints per wave: users pushed, ingest events/s (acknowledged), seconds from the last acknowledgement until the
        silos had applied the wave, per silo RSS / managed heap (heap segments right after a full collection, ClrMD) /
        activations, Redis bytes per stored user (state key, stream head, log share), first-request p50/p99 of idle
        users (and of the same users warm); then the slope of silo memory per 100k additional idle users once the
        active set is steady, what each silo's start paid for its first user state write and read (warmed before it
        takes calls), and what the silos measured of those first requests, per part (the user grain's
        Debug line "first recommendation after activation": directory registration, state read, queued, serve,
        total; the cohortly.user.activation histogram has the same parts).
        """;

    private static readonly TimeSpan ClusterStart = TimeSpan.FromMinutes(3);

    public static Task<int> RunAsync(string[] args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(Usage);
            return Task.FromResult(0);
        }

        return HttpBenchRunner.RunAsync("memory", args, Run);
    }

    private sealed record WaveRow(int Wave, int UsersSeen, double EndSeconds, double EventsPerSecond, double ApplySeconds, long[] Rss, long?[] Heap, int?[] Activations, RedisBytes Redis, double[] Cold, double[] Warm);

    private sealed record RedisBytes(double StatePerUser, double HeadPerUser, double LogPerUser, long UsedMemory);

    private static async Task<int> Run(BenchArgs a, string[] rawArgs, CancellationToken cancellationToken)
    {
        var users = a.GetInt("users", 200_000);
        var wave = a.GetInt("wave", 20_000);
        var eventsPerUser = a.GetInt("events-per-user", 3);
        var idleSeconds = a.GetInt("idle-seconds", 20);
        var silos = a.GetInt("silos", 2);
        var connections = a.GetInt("connections", 8);
        var batch = a.GetInt("batch", 200);
        var items = a.GetInt("items", 5000);
        var samples = a.GetInt("samples", 100);
        var seed = a.GetInt("seed", 1);
        if (users < 1 || wave < 1 || wave > users || eventsPerUser is < 1 or > 50 || idleSeconds < 4 || silos < 1 || connections < 1 || batch is < 1 or > 1000 || items < 1 || samples < 1)
        {
            throw new ArgumentException("need --users ≥ 1, 1 ≤ --wave ≤ --users, --events-per-user 1..50, --idle-seconds ≥ 4, --silos ≥ 1, --connections ≥ 1, --batch 1..1000, --items ≥ 1, --samples ≥ 1");
        }

        var port = a.Get("port") ?? Environment.GetEnvironmentVariable("COHORTLY_BENCH_PORT");
        var siloPorts = (a.Get("silo-ports") ?? Environment.GetEnvironmentVariable("COHORTLY_BENCH_SILO_PORTS"))?.Split(',', '/', '-');
        var idle = TimeSpan.FromSeconds(idleSeconds);
        var inactivity = idle / 2;
        var options = new LocalClusterOptions
        {
            Name = "memory",
            Silos = silos,
            HttpPort = port is null ? null : int.Parse(port, CultureInfo.InvariantCulture),
            // "silo,gateway": silo n uses silo + n - 1 and gateway + n - 1.
            SiloPorts = siloPorts is { Length: >= 2 } ? [.. Enumerable.Range(int.Parse(siloPorts[0], CultureInfo.InvariantCulture), silos)] : null,
            SiloGatewayPorts = siloPorts is { Length: >= 2 } ? [.. Enumerable.Range(int.Parse(siloPorts[^1], CultureInfo.InvariantCulture), silos)] : null,
            Environment = new Dictionary<string, string>
            {
                ["Cohortly__Users__IdleDeactivation"] = idle.ToString("c", CultureInfo.InvariantCulture),
                ["Cohortly__Streams__Inactivity"] = inactivity.ToString("c", CultureInfo.InvariantCulture),
                ["Cohortly__Drift__Enabled"] = "false",
                // On a machine shared with other builds an append can wait longer than the default second; the bench
                // measures memory, not ingest latency, and a refused event would end the run.
                ["Cohortly__Streams__AppendTimeout"] = "00:00:30",
                // Reading the heap suspends a silo (seconds on a loaded machine): with the default probes
                // (2 s × 2) the other silo votes it dead and it stops. A silo is declared dead after ~3 min here.
                ["Cohortly__Membership__ProbeTimeout"] = "00:01:00",
                ["Cohortly__Membership__MissedProbesLimit"] = "3",
                ["Cohortly__Segmentation__MinUsers"] = "1000000",
                // The user grain's one Debug line: the parts of a first request that found the user deactivated.
                ["Logging__LogLevel__Cohortly.Grains.Users.UserGrain"] = "Debug",
                // And what the silo's start paid for the first user state it wrote and read (StateCodecWarmup).
                ["Logging__LogLevel__Cohortly.Grains.Hosting.StateCodecWarmup"] = "Debug",
            },
        };

        Console.WriteLine($"# {BenchReport.Command("memory", rawArgs)}");
        Console.WriteLine($"# {BenchReport.Machine()}, {BenchReport.Date()}");
        Console.WriteLine($"# {users:N0} users in waves of {wave:N0}, {eventsPerUser} events each; idle deactivation {idleSeconds} s, stream inactivity {inactivity.TotalSeconds:0.#} s; {silos} silos; each wave measured at least {IdleAfter(idle).TotalSeconds:0.#} s after the silos applied the previous wave (the previous wave deactivated)");
        using var cluster = await LocalCluster.StartAsync(options, ClusterStart, cancellationToken);
        cluster.DisposeOnExit();
        using var api = CohortlyApiClient.ForLoopback(cluster.Address.ToString(), options.AppKey, options.AdminKey, connections + 2);
        var redis = cluster.Redis.Database;
        var random = new Random(seed);
        var rows = new List<WaveRow>();
        var waveEnds = new List<(int First, int Count, double EndSeconds)>();
        var timedUntil = 0; // users below this index were sampled cold already
        var clock = Stopwatch.StartNew();
        string? stateKeyTemplate = null;

        Console.WriteLine();
        Console.WriteLine(Header(silos));
        for (var first = 0; first < users; first += wave)
        {
            var count = Math.Min(wave, users - first);
            var appliedBefore = (await Backlog(api, cancellationToken)).Applied;
            var ingest = Stopwatch.StartNew();
            var sent = await PushWave(api, first, count, eventsPerUser, items, batch, connections, seed, cancellationToken);
            var eventsPerSecond = sent / ingest.Elapsed.TotalSeconds;
            // The idle clock starts when the silos have applied the wave, not when the gateway acknowledged it: on a
            // loaded machine the silos were seconds behind, and waves measured "past the idle age" overlapped the backlog.
            var acknowledged = clock.Elapsed.TotalSeconds;
            await WaitUntilApplied(api, appliedBefore + sent, cancellationToken);
            var pushed = clock.Elapsed.TotalSeconds;
            // Paced: measured only once the previous wave's users are past the idle age and a collector quantum (and a
            // margin), so the resident users are this wave's and the rows compare equal active sets. Unpaced, a wave
            // pushed faster than the idle age left earlier waves resident and the slope mixed both.
            if (waveEnds.Count > 0)
            {
                var due = TimeSpan.FromSeconds(waveEnds[^1].EndSeconds) + IdleAfter(idle) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }
            }

            waveEnds.Add((first, count, pushed));

            var pids = cluster.RunningSilos.Select(p => p.Id).ToArray();
            var activations = await SiloActivations(api, silos, cancellationToken);
            foreach (var pid in pids)
            {
                await FullCollection(pid, cancellationToken);
            }

            var rss = pids.Select(Rss).ToArray();
            // Right after the full collection: what the silo's objects hold, without garbage whose amount depends on
            // when the GC last ran. (Walking the reachable objects instead took minutes per silo on the loaded machine.)
            var heap = new long?[pids.Length];
            for (var i = 0; i < pids.Length; i++)
            {
                heap[i] = await SegmentBytes(pids[i], cancellationToken);
            }
            stateKeyTemplate ??= await StateKeyTemplate(cluster.Redis.Multiplexer, UserId(first));
            var bytes = await RedisUsage(redis, stateKeyTemplate, first, count, first + count, random);
            // Timed after the measurements above, once the silos applied the wave's backlog. Users of waves that ended
            // more than the idle age, a collector quantum and a margin ago have deactivated.
            var idleBefore = clock.Elapsed.TotalSeconds - IdleAfter(idle).TotalSeconds;
            var cold = new List<double>();
            var warm = new List<double>();
            foreach (var (waveFirst, waveCount, end) in waveEnds)
            {
                if (end > idleBefore || waveFirst + waveCount <= timedUntil)
                {
                    continue;
                }

                for (var s = 0; s < samples; s++)
                {
                    var user = UserId(waveFirst + random.Next(waveCount));
                    cold.Add(await Timed(() => api.RecommendAsync(user, 10, false, cancellationToken)));
                    warm.Add(await Timed(() => api.RecommendAsync(user, 10, false, cancellationToken)));
                }

                timedUntil = waveFirst + waveCount;
            }

            var row = new WaveRow(rows.Count + 1, first + count, clock.Elapsed.TotalSeconds, eventsPerSecond, pushed - acknowledged, rss, heap, activations, bytes, [.. cold], [.. warm]);
            rows.Add(row);
            Console.WriteLine(Line(row));
        }

        Summary(rows, waveEnds, idle);
        ActivationParts(cluster.RunningSilos.Select(p => p.Output));
        if (a.GetInt("hold-seconds", 0) is > 0 and var hold)
        {
            Console.WriteLine($"holding the cluster for {hold} s: silo pids {string.Join(", ", cluster.RunningSilos.Select(p => p.Id))}, gateway {cluster.Gateway.Id}");
            await Task.Delay(TimeSpan.FromSeconds(hold), cancellationToken);
        }

        return 0;
    }

    /// <summary>
    /// Events the silos' user grains took from the stream (summed over the silos by the cluster panel) and the stream
    /// lag the partitions' owners report (entries appended but not yet delivered; partitions whose lag is unknown count 0).
    /// </summary>
    private static async Task<(long Applied, long Lag)> Backlog(CohortlyApiClient api, CancellationToken cancellationToken)
    {
        var view = await api.AdminGetAsync("/v1/admin/cluster", cancellationToken);
        var applied = view["eventsApplied"] is JsonValue a ? a.GetValue<long>() : 0;
        long lag = 0;
        if (view["partitions"] is JsonArray partitions)
        {
            foreach (var partition in partitions)
            {
                lag += partition?["lag"] is JsonValue l ? l.GetValue<long>() : 0;
            }
        }

        return (applied, lag);
    }

    /// <summary>Waits until the silos have applied <paramref name="target"/> events in all and no partition lags (10 min at most, then says so).</summary>
    private static async Task WaitUntilApplied(CohortlyApiClient api, long target, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var (applied, lag) = await Backlog(api, cancellationToken);
            if (applied >= target && lag == 0)
            {
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(10))
            {
                Console.Error.WriteLine($"memory: the silos had applied {applied:N0} of {target:N0} events (lag {lag:N0}) 10 min after the wave was acknowledged; measuring anyway");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>
    /// The silos' own account of the first requests that found a user deactivated: the user grain's Debug line per
    /// first recommendation after an activation (ActivationClock), p50 / p90 / p99 per part over all waves.
    /// </summary>
    private static void ActivationParts(IEnumerable<string> siloOutputs)
    {
        const string Prefix = "first recommendation after activation: ";
        const string Warmed = "user state codec warmed: ";
        string[] parts = ["directory", "state_read", "queued", "serve", "total"];
        var values = parts.ToDictionary(p => p, _ => new List<double>());
        foreach (var output in siloOutputs)
        {
            foreach (var line in output.Split('\n'))
            {
                var warmedAt = line.IndexOf(Warmed, StringComparison.Ordinal);
                if (warmedAt >= 0)
                {
                    Console.WriteLine($"silo start, {line[warmedAt..].Trim()}");
                }

                var at = line.IndexOf(Prefix, StringComparison.Ordinal);
                if (at < 0)
                {
                    continue;
                }

                foreach (var field in line[(at + Prefix.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = field.IndexOf('=', StringComparison.Ordinal);
                    if (eq > 0 && values.TryGetValue(field[..eq], out var list)
                        && double.TryParse(field[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && !double.IsNaN(ms))
                    {
                        list.Add(ms);
                    }
                }
            }
        }

        Console.WriteLine("first request after a deactivation, as the silos timed it (ms, p50 / p90 / p99 / max):");
        foreach (var part in parts)
        {
            var sorted = values[part].Order().ToArray();
            Console.WriteLine(sorted.Length == 0
                ? $"  {part}: -"
                : FormattableString.Invariant($"  {part}: {BenchReport.Percentile(sorted, 0.5):F2} / {BenchReport.Percentile(sorted, 0.9):F2} / {BenchReport.Percentile(sorted, 0.99):F2} / {sorted[^1]:F2} (n={sorted.Length})"));
        }
    }

    /// <summary>How long after its last event a user is surely deactivated: the idle age, the collector's quantum (half
    /// the idle age, <c>UserCollection</c>) and 5 s for the deactivation itself.</summary>
    private static TimeSpan IdleAfter(TimeSpan idle) => (idle * 1.5) + TimeSpan.FromSeconds(5);

    internal static string UserId(int n) => "mem-" + n.ToString("D7", CultureInfo.InvariantCulture);

    /// <summary>Every user of the wave gets its events (view, click, then purchases), in batches sent by <paramref name="connections"/> senders.</summary>
    private static async Task<long> PushWave(CohortlyApiClient api, int first, int count, int eventsPerUser, int items, int batch, int connections, int seed, CancellationToken cancellationToken)
    {
        var usersPerBatch = Math.Max(1, batch / eventsPerUser);
        var batches = (count + usersPerBatch - 1) / usersPerBatch;
        long sent = 0;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), new ParallelOptions { MaxDegreeOfParallelism = connections, CancellationToken = cancellationToken }, async (b, ct) =>
        {
            var from = first + (b * usersPerBatch);
            var to = Math.Min(first + count, from + usersPerBatch);
            var random = new Random(HashCode.Combine(seed, from));
            var events = new List<ReplayEvent>((to - from) * eventsPerUser);
            for (var u = from; u < to; u++)
            {
                var user = UserId(u);
                for (var e = 0; e < eventsPerUser; e++)
                {
                    var type = e switch { 0 => InteractionType.View, 1 => InteractionType.Click, _ => InteractionType.Purchase };
                    var item = "item-" + random.Next(items).ToString(CultureInfo.InvariantCulture);
                    double? value = type == InteractionType.Purchase ? 5 + random.Next(200) : null;
                    var interaction = new Interaction(user, item, type, value, now + e, e % 2 == 0 ? "mobile" : "desktop");
                    events.Add(new ReplayEvent($"{user}-{e}", u, interaction));
                }
            }

            await api.PostEventsAsync(BenchPayloads.EventBody(events, 0, events.Count), events.Count, ct);
            Interlocked.Add(ref sent, events.Count);
        });
        return sent;
    }

    private static async Task<double> Timed(Func<Task> call)
    {
        var watch = Stopwatch.StartNew();
        await call();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// A blocking gen2 collection in the silo, asked for over its diagnostics port (as <see cref="ServerGc"/> does);
    /// the runtime runs it when the session starts, the pause gives it time to finish.
    /// </summary>
    private static async Task FullCollection(int pid, CancellationToken cancellationToken)
    {
        var client = new DiagnosticsClient(pid);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, 0x800000)],
            requestRundown: false,
            circularBufferMB: 16);
        var drain = session.EventStream.CopyToAsync(Stream.Null, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        await session.StopAsync(cancellationToken);
        await drain;
    }

    /// <summary>
    /// <see cref="HeapCommand.SegmentBytes"/> run in a child process: attaching to a silo this process started hung
    /// (the runtime's child-process handling reaps the stop that the debugger attach waits for).
    /// </summary>
    private static async Task<long?> SegmentBytes(int pid, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(MemoryCommand).Assembly.Location);
        }

        foreach (var arg in new[] { "heap-span", "--pid", pid.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode == 0 && long.TryParse(output.Trim(), CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill();
            return null;
        }
    }

    /// <summary>Activations per silo (all grain types; user grains are nearly all of them), from the cluster panel.</summary>
    private static async Task<int?[]> SiloActivations(CohortlyApiClient api, int silos, CancellationToken cancellationToken)
    {
        var view = await api.AdminGetAsync("/v1/admin/cluster", cancellationToken);
        var activations = new int?[silos];
        var list = view["silos"]!.AsArray();
        for (var i = 0; i < Math.Min(silos, list.Count); i++)
        {
            activations[i] = list[i]!["activations"] is JsonValue n ? n.GetValue<int>() : null;
        }

        return activations;
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>The grain storage key of a user's state, with the user id replaced by {0}, found by its id.</summary>
    private static async Task<string> StateKeyTemplate(IConnectionMultiplexer multiplexer, string user)
    {
        var server = multiplexer.GetServers()[0];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await foreach (var key in server.KeysAsync(pattern: $"*state*{user}*", pageSize: 5000))
            {
                return key.ToString().Replace(user, "{0}", StringComparison.Ordinal);
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"no grain state key for {user} in Redis");
    }

    /// <summary>
    /// Bytes per stored user: the state key (MEMORY USAGE of a sample of this wave's users, waiting for their
    /// write-behind), the stream heads (one hash field per user, all partitions) and the log streams, both divided by
    /// the users pushed so far.
    /// </summary>
    private static async Task<RedisBytes> RedisUsage(IDatabase redis, string stateKeyTemplate, int first, int count, int usersSeen, Random random)
    {
        var stateBytes = new List<long>();
        for (var s = 0; s < 50; s++)
        {
            var key = string.Format(CultureInfo.InvariantCulture, stateKeyTemplate, UserId(first + random.Next(count)));
            for (var attempt = 0; attempt < 50; attempt++)
            {
                if (await Execute(redis, "MEMORY", "USAGE", key, "SAMPLES", "0") is { IsNull: false } usage)
                {
                    stateBytes.Add((long)usage);
                    break;
                }

                await Task.Delay(200);
            }
        }

        long heads = 0;
        long log = 0;
        var prefix = "cohortly:cohortly:stream:events";
        for (var p = 0; p < 64; p++)
        {
            var stream = $"{{{prefix}:{p}}}";
            if (await Execute(redis, "MEMORY", "USAGE", stream, "SAMPLES", "0") is not { IsNull: false } streamBytes)
            {
                break;
            }

            log += (long)streamBytes;
            if (await Execute(redis, "MEMORY", "USAGE", stream + ":heads", "SAMPLES", "0") is { IsNull: false } headBytes)
            {
                heads += (long)headBytes;
            }
        }

        var info = (string?)await Execute(redis, "INFO", "memory") ?? "";
        var used = 0L;
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("used_memory:", StringComparison.Ordinal))
            {
                used = long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return new RedisBytes(stateBytes.Count == 0 ? double.NaN : stateBytes.Average(), (double)heads / usersSeen, (double)log / usersSeen, used);
    }

    /// <summary>A Redis command of the measurement, tried again after a timeout: on a machine shared with other builds
    /// one command could wait past the client's timeout and end a run of an hour.</summary>
    private static async Task<RedisResult> Execute(IDatabase redis, string command, params object[] args)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await redis.ExecuteAsync(command, args);
            }
            catch (Exception e) when (attempt < 5 && e is RedisTimeoutException or RedisConnectionException or TaskCanceledException)
            {
                Console.Error.WriteLine($"memory: redis {command} failed ({e.GetType().Name}), attempt {attempt}; trying again");
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
        }
    }

    private static string Header(int silos)
    {
        var silo = string.Concat(Enumerable.Range(1, silos).Select(i => $" | silo{i} RSS MB | heap MB | activations"));
        return $"wave | users | t s | ingest ev/s | applied after s{silo} | redis MB | state B/user | head B/user | log B/user | idle 1st req p50 / p99 ms | warm p50 / p99 ms";
    }

    private static string Line(WaveRow r)
    {
        var silo = string.Concat(Enumerable.Range(0, r.Rss.Length).Select(i =>
            FormattableString.Invariant($" | {r.Rss[i] / 1048576.0:F0} | {(r.Heap[i] is { } h ? (h / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) : "-")} | {r.Activations[i]?.ToString(CultureInfo.InvariantCulture) ?? "-"}")));
        return FormattableString.Invariant(
            $"{r.Wave} | {r.UsersSeen:N0} | {r.EndSeconds:F0} | {r.EventsPerSecond:F0} | {r.ApplySeconds:F1}{silo} | {r.Redis.UsedMemory / 1048576.0:F0} | {r.Redis.StatePerUser:F0} | {r.Redis.HeadPerUser:F0} | {r.Redis.LogPerUser:F0} | {Pair(r.Cold)} | {Pair(r.Warm)}");
    }

    private static string Pair(double[] values)
    {
        if (values.Length == 0)
        {
            return "-";
        }

        var sorted = values.Order().ToArray();
        return FormattableString.Invariant($"{BenchReport.Percentile(sorted, 0.5):F1} / {BenchReport.Percentile(sorted, 0.99):F1} (n={values.Length})");
    }

    private static void Summary(List<WaveRow> rows, List<(int First, int Count, double EndSeconds)> waves, TimeSpan idle)
    {
        Console.WriteLine();
        // Steady: the wave ends at least the idle age, a collector quantum and a margin after the first wave, so the
        // users resident are those of the last idle age, not everyone pushed so far.
        var steadyFrom = rows.FindIndex(r => r.EndSeconds - waves[0].EndSeconds >= IdleAfter(idle).TotalSeconds);
        var cold = rows.SelectMany(r => r.Cold).ToArray();
        var warm = rows.SelectMany(r => r.Warm).ToArray();
        Console.WriteLine($"first request of an idle (deactivated) user, all waves: {Pair(cold)}; the same users warm: {Pair(warm)}");
        var last = rows[^1];
        Console.WriteLine(FormattableString.Invariant(
            $"Redis per stored user at {last.UsersSeen:N0} users: state {last.Redis.StatePerUser:F0} B + stream head {last.Redis.HeadPerUser:F0} B = {last.Redis.StatePerUser + last.Redis.HeadPerUser:F0} B kept per user; log {last.Redis.LogPerUser:F0} B per user (its events, kept for Streams:Retention); used_memory / users {(double)last.Redis.UsedMemory / last.UsersSeen:F0} B"));
        if (steadyFrom < 0 || rows.Count - steadyFrom < 3)
        {
            Console.WriteLine("slope: fewer than 3 waves after the active set became steady; push more users (or smaller waves)");
            return;
        }

        var steady = rows.Skip(steadyFrom).ToArray();
        var x = steady.Select(r => (double)r.UsersSeen).ToArray();
        var heap = steady.Select(r => (double)r.Heap.Sum(h => h ?? 0)).ToArray();
        var rss = steady.Select(r => (double)r.Rss.Sum()).ToArray();
        var activations = steady.Select(r => (double)r.Activations.Sum(n => n ?? 0)).ToArray();
        Console.WriteLine(FormattableString.Invariant(
            $"steady from wave {steady[0].Wave} ({steady[0].UsersSeen:N0} users) to {last.UsersSeen:N0}: silo memory per 100k additional idle users: managed heap {Slope(x, heap) * 100_000 / 1048576.0:+0.0;-0.0} MB, RSS {Slope(x, rss) * 100_000 / 1048576.0:+0.0;-0.0} MB (all silos together); activations {activations.Min():N0}..{activations.Max():N0}"));
    }

    /// <summary>Least-squares slope of y over x.</summary>
    private static double Slope(double[] x, double[] y)
    {
        var mx = x.Average();
        var my = y.Average();
        double sxy = 0;
        double sxx = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }

        return sxx == 0 ? 0 : sxy / sxx;
    }
}
