using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;

namespace Cohortly.Bench;

/// <summary>
/// HTTP load against a running gateway, from this machine over loopback, bounded in time and count:
///   ingest     batches of events from synthetic users as fast as the gateway accepts them
///   recommend  open-loop requests at a fixed rate; latency counts from the scheduled send time. By default a lean
///              pre-encoded HTTP/1.1 driver sends them (--client raw, --connections 64); --client http uses HttpClient.
///              --target profile sends GET /v1/users/{id} instead: the same user-grain call per request without the
///              serving pipeline, to tell what the pipeline costs from what any per-user call costs; --target similar
///              sends GET /v1/items/{id}/similar (a stateless worker on the model cache: no per-user activation);
///              --target floor sends GET /healthz (the same gateway without any grain call). A comma-separated list runs
///              every target at every rate and prints p99 and server CPU per request as ratios to the floor
///   memory     managed-heap growth per resident user grain (embedded mode: the silo is in the gateway process), read
///              after a full collection the bench starts in the server over its diagnostics port (ServerGc): the
///              one Cohortly.Gateway process on this machine, or --server-pid N
/// With --items N the synthetic catalog (N items) is upserted first (PUT /v1/items); with --train the
/// model is trained after populating (POST /v1/admin/training, polled) and the recommendation phase
/// starts once recommendations report the trained model version. Before the first recommend phase the bench waits
/// (at most --settle seconds, default 90; 0 skips it) until the gateway process has used under a tenth of a core for
/// three seconds in a row: what populating and training leave running (write-behind saves, the stream agents' walk of
/// every stream that had an event in the last minute, model loading) is not charged to the first phases.
/// With --live-events N every recommend phase runs under N events/s of live traffic (<see cref="LiveEvents"/>).
/// With --cluster [--silos 2] [--fsync always|everysec] [--partitions 8] it starts its own cluster on loopback
/// (redis-server, silo processes, a gateway process; no --url or keys) and stops it at the end: e.g.
/// `load --cluster --mode ingest --ingest-batches 4000` measures distinct events/s and the 202's latency at 2 silos.
/// (memory is an embedded-mode measurement: in cluster mode the gateway process holds no grains.)
/// </summary>
internal static class LoadCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var a = new BenchArgs(args);
        // --cluster: cluster mode on loopback, started here (redis-server, --silos silo processes, a gateway process),
        // so ingest into Redis streams can be compared between commits run back to back.
        using var cluster = a.Has("cluster") ? await StartCluster(a) : null;
        var url = cluster?.Address.ToString().TrimEnd('/') ?? a.Get("url") ?? "http://localhost:5080";
        var key = cluster?.Options.AppKey ?? a.Require("key");
        var adminKey = cluster?.Options.AdminKey ?? a.Get("admin-key");
        var mode = a.Get("mode") ?? "all";
        var users = a.GetInt("users", 20_000);
        var seconds = a.GetInt("seconds", 20);
        var batch = a.GetInt("batch", 500);
        var concurrency = a.GetInt("concurrency", 8);
        // One population and training, several open-loop rates (e.g. --rate 1000,2000,5000), lowest first.
        var rates = Rates(a.Get("rate"));
        var seed = a.GetInt("seed", 1);
        if (!url.StartsWith("http://127.", StringComparison.Ordinal) && !url.StartsWith("http://localhost", StringComparison.Ordinal) && !url.StartsWith("http://[::1]", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("load targets loopback only (http://localhost, http://127.x.x.x or http://[::1])");
            return 2;
        }

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(url),
            Timeout = TimeSpan.FromSeconds(120),
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = users, Items = a.GetInt("items", 10_000), Categories = 20, UserPrefix = "load-" }, seed);
        Console.WriteLine($"# cohortly load: {url}, {users} users, {world.Items.Count} items, {Environment.ProcessorCount} cores on the client machine, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");

        if (adminKey is null)
        {
            Console.Error.WriteLine("--admin-key is needed (the bench reads /v1/admin/stats)");
            return 2;
        }

        using var api = new CohortlyApiClient(http, adminKey);

        if (a.Get("items") is not null)
        {
            await UpsertCatalog(http, adminKey, world);
        }

        // Populating every user (one short session each) is also the memory measurement; the
        // recommendation phase needs the populated users. Ingest runs last: it leaves a backlog.
        if (mode is "memory" or "recommend" or "all")
        {
            // The memory figures are taken after a full collection in the server, asked for over its diagnostics port.
            var server = cluster is not null ? new ServerGc(cluster.Gateway.Id) : ServerGc.Find(a);
            await Memory(api, server, world, batch, concurrency, seed, TimeSpan.FromSeconds(a.GetInt("idle-seconds", 0)));
        }

        if (a.Has("train") && !await Train(api, world, TimeSpan.FromSeconds(a.GetInt("train-timeout-seconds", 1800))))
        {
            return 1;
        }

        // --experiment NAME: a running cohort-model vs global-baseline experiment in every cohort while the phases run,
        // so the recommendation phases measure serving with assignment and per-variant outcomes (issue 12's loop cost).
        if (a.Get("experiment") is { Length: > 0 } experiment)
        {
            var body = new JsonObject
            {
                ["name"] = experiment,
                ["variants"] = new JsonArray(new JsonObject { ["name"] = "global-baseline", ["weight"] = 1 }, new JsonObject { ["name"] = "cohort-model", ["weight"] = 1 }),
            };
            var (status, answer) = await api.AdminPostJsonAsync("/v1/experiments", body, CancellationToken.None);
            if (status != System.Net.HttpStatusCode.Created)
            {
                Console.Error.WriteLine($"experiment {experiment} not started: {(int)status} {answer?.ToJsonString()}");
                return 1;
            }

            Console.WriteLine($"experiment: {experiment} running (cohort-model vs global-baseline, every cohort, 50/50)");
        }

        if (mode is "recommend" or "all")
        {
            // --target floor,similar,profile,recommendations: every target at every rate in one run, then each one's
            // p99 and server CPU per request as a ratio to the floor's at the same rate (issue 10's latency goal).
            var targets = (a.Get("target") ?? "recommendations").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var results = new List<PhaseResult>();
            int? tracePid = a.Has("gc-trace") ? (cluster is not null ? new ServerGc(cluster.Gateway.Id) : ServerGc.Find(a)).ProcessId : null;
            await Settle(api, TimeSpan.FromSeconds(a.GetInt("settle", 90)));
            foreach (var rate in rates)
            {
                foreach (var target in targets)
                {
                    // --live-events N: the phase runs under N events/s of live traffic (LiveEvents), each target alike.
                    await using var live = LiveEvents.Start(http, world, a.GetInt("live-events", 0), a.GetInt("live-batch", 20), seed + results.Count + 7);
                    results.Add(await Recommend(http, api, world, rate, TimeSpan.FromSeconds(seconds), a.GetInt("count", 10), seed, a.Get("client") ?? "raw", a.GetInt("connections", 64), target, tracePid));
                }
            }

            PrintRatios(results);
        }

        if (mode is "ingest" or "all")
        {
            await Ingest(http, world, batch, concurrency, TimeSpan.FromSeconds(seconds), seed, a.GetInt("ingest-batches", 400), cluster);
        }

        return 0;
    }

    private static async Task<Cohortly.TestSupport.LocalCluster> StartCluster(BenchArgs a)
    {
        var silos = a.GetInt("silos", 2);
        var fsync = a.Get("fsync");
        Console.WriteLine($"# cluster: redis-server (appendfsync {fsync ?? "off: no append-only file"}), {silos} silo processes and a gateway process on loopback, {a.GetInt("partitions", 8)} stream partitions");
        var cluster = await Cohortly.TestSupport.LocalCluster.StartAsync(
            new Cohortly.TestSupport.LocalClusterOptions
            {
                Name = "bench-load",
                Silos = silos,
                AppKey = $"bench-app-{Guid.NewGuid():N}",
                AdminKey = $"bench-admin-{Guid.NewGuid():N}",
                AppendFsync = fsync,
                Environment = new Dictionary<string, string> { ["Cohortly__Streams__Partitions"] = a.GetInt("partitions", 8).ToString(CultureInfo.InvariantCulture) },
            },
            TimeSpan.FromSeconds(120));
        cluster.DisposeOnExit();
        return cluster;
    }

    private static double ClusterCpuSeconds(Cohortly.TestSupport.LocalCluster cluster)
    {
        var seconds = 0.0;
        foreach (var pid in cluster.ProcessIds)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                seconds += process.TotalProcessorTime.TotalSeconds;
            }
            catch (ArgumentException)
            {
                // exited meanwhile
            }
        }

        return seconds;
    }

    /// <summary>Polls the stream partitions' consumer group until no entry is left unread (XINFO GROUPS lag 0).</summary>
    private static async Task<bool> DrainedAsync(Cohortly.TestSupport.LocalCluster cluster, TimeSpan timeout)
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var partitions = server.Keys(pattern: "{*:stream:events:*}").ToList();
        var database = redis.GetDatabase();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            long lag = 0;
            foreach (var key in partitions)
            {
                foreach (var group in await database.StreamGroupInfoAsync(key))
                {
                    lag += group.Lag ?? 0;
                }
            }

            if (lag == 0)
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static int[] Rates(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return [1000];
        }

        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rates = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            rates[i] = int.Parse(parts[i], CultureInfo.InvariantCulture);
            if (rates[i] <= 0)
            {
                throw new ArgumentException($"--rate {value}: every rate must be positive");
            }
        }

        return rates;
    }

    /// <summary>The synthetic catalog, in batches of at most 1,000 items (the endpoint's limit).</summary>
    private static async Task UpsertCatalog(HttpClient http, string adminKey, SyntheticWorld world)
    {
        var stopwatch = Stopwatch.StartNew();
        long version = 0;
        for (var start = 0; start < world.Items.Count; start += 1000)
        {
            var array = new JsonArray();
            for (var i = start; i < Math.Min(world.Items.Count, start + 1000); i++)
            {
                var item = world.Items[i];
                var tags = new JsonArray();
                foreach (var tag in item.Tags)
                {
                    tags.Add(tag);
                }

                array.Add(new JsonObject
                {
                    ["id"] = item.Id,
                    ["title"] = item.Title,
                    ["categories"] = new JsonArray(item.Category),
                    ["tags"] = tags,
                    ["price"] = item.Price,
                    ["available"] = true,
                });
            }

            using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/items")
            {
                Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["items"] = array })),
            };
            request.Content.Headers.ContentType = new("application/json");
            AsAdmin(request, adminKey);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            version = (await response.Content.ReadFromJsonAsync<JsonNode>())!["catalogVersion"]!.GetValue<long>();
        }

        Console.WriteLine($"catalog: {world.Items.Count} items upserted in {stopwatch.Elapsed.TotalSeconds:F1} s (catalog version {version})");
    }

    /// <summary>
    /// Trains (the replay bench's routine: start, follow, wait until a recommendation serves the new version), bounded
    /// by <paramref name="timeout"/> for the run and again for serving.
    /// </summary>
    private static async Task<bool> Train(CohortlyApiClient api, SyntheticWorld world, TimeSpan timeout)
    {
        var (_, version, served) = await ReplayCommand.Train(api, world.Users[0].Id, timeout, timeout, CancellationToken.None);
        return version is not null && served;
    }

    private static void AsAdmin(HttpRequestMessage request, string adminKey)
    {
        request.Headers.Remove("X-Api-Key");
        request.Headers.Add("X-Api-Key", adminKey);
    }

    /// <param name="distinctBatches">
    /// How many different batches are pre-built and then cycled. Once they are used up, later sends repeat events the
    /// user grains drop as duplicates (cheaper than applying them), so a run that cycles measures a mix; the summary
    /// line says how many batches were repeats. Enough batches for the whole phase measure distinct events only.
    /// </param>
    private static async Task Ingest(HttpClient http, SyntheticWorld world, int batchSize, int concurrency, TimeSpan duration, int seed, int distinctBatches, Cohortly.TestSupport.LocalCluster? cluster = null)
    {
        // Pre-build the request bodies so the client measures the server, not its own JSON writer.
        var rng = new Random(seed);
        var bodies = new List<byte[]>();
        var events = 0;
        var now = DateTimeOffset.UtcNow;
        var pending = new List<SyntheticEvent>(batchSize);
        while (bodies.Count < distinctBatches)
        {
            var user = world.Users[rng.Next(world.Users.Count)];
            pending.AddRange(world.Session(user, now.AddMinutes(-rng.Next(10_000)), rng));
            if (pending.Count >= batchSize)
            {
                bodies.Add(Body(pending.GetRange(0, batchSize)));
                pending.RemoveRange(0, batchSize);
            }
        }

        events = bodies.Count * batchSize;
        Console.WriteLine($"ingest: {concurrency} concurrent senders, batches of {batchSize} events, {duration.TotalSeconds:F0} s ({events} distinct pre-built events in {bodies.Count} batches, cycled when used up; a repeat is dropped by the user grain as a duplicate after validation, the training log and the stream)");
        var latencies = new List<double>();
        long accepted = 0, failed = 0, throttled = 0, next = 0;
        var clusterCpuBefore = cluster is null ? 0 : ClusterCpuSeconds(cluster);
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var local = new List<double>();
            while (stopwatch.Elapsed < duration)
            {
                var body = bodies[(int)((Interlocked.Increment(ref next) - 1) % bodies.Count)];
                var start = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                using var response = await http.PostAsync("/v1/events", content);
                local.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (response.IsSuccessStatusCode)
                {
                    var result = await response.Content.ReadFromJsonAsync<JsonNode>();
                    Interlocked.Add(ref accepted, result!["accepted"]!.GetValue<int>());
                }
                else if ((int)response.StatusCode == 503)
                {
                    // Backpressure: the silo is behind; back off as a client should.
                    Interlocked.Increment(ref throttled);
                    await Task.Delay(RetryDelay(response));
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }

            lock (latencies)
            {
                latencies.AddRange(local);
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"ingest: {accepted} events accepted in {elapsed:F1} s = {accepted / elapsed:F0} events/s; throttled (503) batches {throttled}; failed batches {failed}; batch latency {Percentiles(latencies)}");
        if (cluster is not null)
        {
            // Accepting is half the work: the silos read and apply on their own clock. End to end is until every
            // partition's consumer group has read every entry (lag 0), and the CPU of every process of the cluster
            // over that time, per event, is the number that does not depend on how the 2 cores were shared.
            var drained = await DrainedAsync(cluster, TimeSpan.FromMinutes(5));
            var total = stopwatch.Elapsed.TotalSeconds;
            var cpu = ClusterCpuSeconds(cluster) - clusterCpuBefore;
            Console.WriteLine(drained
                ? $"ingest: end to end {accepted} events read by the silos {total:F1} s after the first send = {accepted / total:F0} events/s; cluster CPU (redis, silos, gateway) {cpu:F1} s = {cpu * 1e6 / Math.Max(1, accepted):F1} µs per event"
                : $"ingest: the silos had not read every entry 5 minutes after the last send; cluster CPU {cpu:F1} s");
        }

        var repeats = Math.Max(0, next - bodies.Count);
        Console.WriteLine(repeats == 0
            ? $"ingest: {next} batches sent, every event distinct"
            : $"ingest: {next} batches sent, {repeats} of them repeats of earlier batches (duplicates the grains drop; --ingest-batches {next} would make every event distinct)");
    }

    /// <summary>FNV-1a of a string: the same on every run (string.GetHashCode is randomized per process).</summary>
    private static uint StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    /// <param name="client">"raw": the lean pre-encoded HTTP/1.1 driver over <paramref name="connections"/> keep-alive connections; "http": HttpClient.</param>
    private sealed record PhaseResult(string Target, int Rate, double P99Milliseconds, double ServerCpuMicroseconds, int Errors);

    /// <summary>With a floor among the targets: each target's p99 and server CPU per request against the floor's at the same rate.</summary>
    private static void PrintRatios(List<PhaseResult> results)
    {
        if (!results.Any(r => r.Target == "floor") || results.Count < 2)
        {
            return;
        }

        Console.WriteLine("ratios to the floor (GET /healthz: the same gateway, auth, routing and JSON, no grain call):");
        Console.WriteLine("  rate      target            p99 ms    ×floor   CPU µs/req   ×floor   errors");
        foreach (var group in results.GroupBy(r => r.Rate))
        {
            var floor = group.First(r => r.Target == "floor");
            foreach (var r in group)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {r.Rate,-9} {r.Target,-16} {r.P99Milliseconds,8:F2} {r.P99Milliseconds / floor.P99Milliseconds,8:F2} {r.ServerCpuMicroseconds,12:F0} {r.ServerCpuMicroseconds / floor.ServerCpuMicroseconds,8:F2} {r.Errors,8}"));
            }
        }
    }

    /// <param name="target">"recommendations" (the default), "profile" (GET /v1/users/{id}), "similar" (GET /v1/items/{id}/similar)
    /// or "floor" (GET /healthz: a fixed small JSON from the same gateway without any grain call).</param>
    /// <param name="tracePid">With --gc-trace: the server process whose GC events are read during the measured requests (GcTrace).</param>
    private static async Task<PhaseResult> Recommend(HttpClient http, CohortlyApiClient api, SyntheticWorld world, int rate, TimeSpan duration, int count, int seed, string client, int connections, string target, int? tracePid)
    {
        if (client is not ("raw" or "http"))
        {
            throw new ArgumentException($"--client {client}: expected raw or http");
        }

        if (target is not ("recommendations" or "profile" or "similar" or "floor"))
        {
            throw new ArgumentException($"--target {target}: expected recommendations, profile, similar or floor (or a comma-separated list)");
        }

        var items = world.Items;
        string PathOf(string user) => target switch
        {
            "profile" => $"/v1/users/{user}",
            "floor" => "/healthz",
            // The seeded user draw picks the item (a stable hash of the id), so every target sees the same sequence.
            "similar" => $"/v1/items/{items[(int)(StableHash(user) % (uint)items.Count)].Id}/similar?count={count}",
            _ => $"/v1/users/{user}/recommendations?count={count}",
        };
        var rng = new Random(seed + 1);
        var total = (int)(rate * duration.TotalSeconds);
        Console.WriteLine($"recommend: open loop at {rate} req/s for {duration.TotalSeconds:F0} s ({total} requests), {target switch { "profile" => "GET /v1/users/{id}", "similar" => $"GET /v1/items/{{id}}/similar?count={count}", "floor" => "GET /healthz (floor)", _ => $"count={count}" }}, client {(client == "raw" ? $"raw HTTP/1.1 over {connections} connections" : "HttpClient")}");
        // Warm-up: connections and JIT, not measured.
        for (var i = 0; i < 200; i++)
        {
            using var _ = await http.GetAsync(PathOf(world.Users[rng.Next(world.Users.Count)].Id));
        }

        var latencies = new double[total];
        var errors = 0;
        var users = new string[total];
        for (var i = 0; i < total; i++)
        {
            users[i] = world.Users[rng.Next(world.Users.Count)].Id;
        }

        // CPU time of both processes over the measured requests: what one request costs the server (and this client).
        await using var trace = tracePid is { } pid ? GcTrace.Start(pid) : null;
        var serverBefore = await api.StatsAsync(CancellationToken.None);
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        // The client's own collections stall its receive loops, and its latencies include them.
        var clientPauseBefore = GC.GetTotalPauseDuration();
        int[] clientCollectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        double elapsed;
        double[]? sendDelays = null;
        if (client == "raw")
        {
            var paths = new string[total];
            for (var i = 0; i < total; i++)
            {
                paths[i] = PathOf(users[i]);
            }

            var result = await RawHttpLoad.RunAsync(http.BaseAddress!, http.DefaultRequestHeaders.GetValues("X-Api-Key").First(), paths, rate, connections);
            latencies = result.LatenciesMs;
            sendDelays = result.SendDelaysMs;
            errors = result.Errors;
            elapsed = result.ElapsedSeconds;
        }
        else
        {
            elapsed = await SendWithHttpClient();
        }

        async Task<double> SendWithHttpClient()
        {
            var tasks = new List<Task>(total);
            var start = await RawHttpLoad.ReleaseOnSchedule(total, rate, (index, scheduled) => tasks.Add(Send(index, scheduled)));

            async Task Send(int index, long scheduled)
            {
                try
                {
                    using var response = await http.GetAsync(PathOf(users[index]));
                    await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }

                latencies[index] = Stopwatch.GetElapsedTime(scheduled).TotalMilliseconds;
            }

            await Task.WhenAll(tasks);
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalSeconds;
        var serverAfter = await api.StatsAsync(CancellationToken.None);
        var traced = trace is null ? null : await trace.StopAsync();
        var serverCpu = Delta(serverBefore, serverAfter, "gatewayProcessCpuSeconds");
        var pause = Delta(serverBefore, serverAfter, "gatewayProcessGcPauseSeconds");
        var collections = new int[3];
        for (var g = 0; g < 3; g++)
        {
            collections[g] = serverAfter["gatewayProcessGcCollections"]![g]!.GetValue<int>() - serverBefore["gatewayProcessGcCollections"]![g]!.GetValue<int>();
        }

        Console.WriteLine($"recommend: {total} requests in {elapsed:F1} s = {total / elapsed:F0} req/s achieved; errors {errors}; latency {Percentiles(latencies)}");
        if (sendDelays is not null)
        {
            // Included in the latency above: how late the client itself started each request after its due time.
            Console.WriteLine($"recommend: client send delay (due time to send start, part of the latency) {Percentiles(sendDelays)}");
        }
        Console.WriteLine($"recommend: CPU per request: server {serverCpu * 1e6 / total:F0} µs ({serverCpu / elapsed:F2} cores), load client {clientCpu * 1e6 / total:F0} µs ({clientCpu / elapsed:F2} cores)");
        Console.WriteLine($"recommend: server GC during the phase: {collections[0]} gen0 / {collections[1]} gen1 / {collections[2]} gen2 collections, {pause * 1000:F0} ms paused ({100 * pause / elapsed:F1}% of the time)");
        if (traced is not null)
        {
            Console.WriteLine($"recommend: server GC trace (EventPipe, GC events; pause = suspension to restart):\n  {traced}");
        }

        var clientPause = (GC.GetTotalPauseDuration() - clientPauseBefore).TotalMilliseconds;
        Console.WriteLine($"recommend: load client GC during the phase: {GC.CollectionCount(0) - clientCollectionsBefore[0]} gen0 / {GC.CollectionCount(1) - clientCollectionsBefore[1]} gen1 / {GC.CollectionCount(2) - clientCollectionsBefore[2]} gen2 collections, {clientPause:F0} ms paused");
        var sorted = (double[])latencies.Clone();
        Array.Sort(sorted);
        return new PhaseResult(target, rate, BenchReport.Percentile(sorted, 0.99), serverCpu * 1e6 / total, errors);
    }

    /// <summary>
    /// Waits until the gateway process used less than a tenth of a core in each of three consecutive seconds, or
    /// <paramref name="limit"/> passed; prints how long it waited and whether it settled.
    /// </summary>
    private static async Task Settle(CohortlyApiClient api, TimeSpan limit)
    {
        if (limit <= TimeSpan.Zero)
        {
            return;
        }

        const double QuietCores = 0.1;
        const int QuietSeconds = 3;
        var watch = Stopwatch.StartNew();
        var before = (await api.StatsAsync(CancellationToken.None))["gatewayProcessCpuSeconds"]!.GetValue<double>();
        var quiet = 0;
        var last = 0.0;
        while (quiet < QuietSeconds && watch.Elapsed < limit)
        {
            var started = watch.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = (await api.StatsAsync(CancellationToken.None))["gatewayProcessCpuSeconds"]!.GetValue<double>();
            last = (now - before) / (watch.Elapsed - started).TotalSeconds;
            before = now;
            quiet = last < QuietCores ? quiet + 1 : 0;
        }

        Console.WriteLine(quiet >= QuietSeconds
            ? $"settle: the server used under {QuietCores} cores for {QuietSeconds} s after {watch.Elapsed.TotalSeconds:F0} s"
            : $"settle: not quiet after {watch.Elapsed.TotalSeconds:F0} s (last second {last:F2} cores); measuring anyway");
    }

    private static double Delta(JsonNode before, JsonNode after, string name) =>
        after[name]!.GetValue<double>() - before[name]!.GetValue<double>();

    private static async Task Memory(CohortlyApiClient api, ServerGc server, SyntheticWorld world, int batchSize, int concurrency, int seed, TimeSpan idle)
    {
        var before = await CollectedStats(api, server);
        var userActivationsBefore = UserActivations(before);
        Console.WriteLine($"memory: before: {userActivationsBefore} user grains, managed heap {before["gatewayProcessManagedBytes"]!.GetValue<long>() / 1048576.0:F1} MiB");
        // Each user gets one short session: a realistic resident profile, not an empty grain.
        var rng = new Random(seed + 2);
        var now = DateTimeOffset.UtcNow;
        var queue = new Queue<(byte[] Body, int Count)>();
        var pending = new List<SyntheticEvent>();
        foreach (var user in world.Users)
        {
            var session = world.Session(user, now.AddMinutes(-rng.Next(10_000)), rng);
            pending.AddRange(session.Take(5));
            if (pending.Count >= batchSize)
            {
                queue.Enqueue((Body(pending), pending.Count));
                pending.Clear();
            }
        }

        if (pending.Count > 0)
        {
            queue.Enqueue((Body(pending), pending.Count));
        }

        var bodies = queue.ToArray();
        var populate = Stopwatch.StartNew();
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Length)
            {
                await api.PostEventsAsync(bodies[i].Body, bodies[i].Count, CancellationToken.None);
            }
        });
        // Progress every 10 s: a population rate that falls as users accumulate shows up here.
        using var progressStop = new CancellationTokenSource();
        var progress = Task.Run(async () =>
        {
            var last = 0;
            var lastAt = populate.Elapsed;
            try
            {
                while (true)
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), progressStop.Token);
                    var resident = UserActivations(await api.StatsAsync(CancellationToken.None)) - userActivationsBefore;
                    var at = populate.Elapsed;
                    Console.WriteLine($"memory: {at.TotalSeconds,6:F0} s: {resident} users resident, {(resident - last) / (at - lastAt).TotalSeconds:F0} new users/s in the last interval");
                    (last, lastAt) = (resident, at);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await Task.WhenAll(workers);

        JsonNode after;
        var deadline = DateTime.UtcNow.AddSeconds(600);
        do
        {
            await Task.Delay(250);
            after = await api.StatsAsync(CancellationToken.None);
        }
        while (UserActivations(after) < userActivationsBefore + world.Users.Count && DateTime.UtcNow < deadline);
        await progressStop.CancelAsync();
        await progress;
        Console.WriteLine($"memory: populated {UserActivations(after) - userActivationsBefore} users ({bodies.Length} batches) in {populate.Elapsed.TotalSeconds:F1} s = {(UserActivations(after) - userActivationsBefore) / populate.Elapsed.TotalSeconds:F0} new users/s");

        // Let write-behind timers run once, then measure with a full collection.
        await Task.Delay(TimeSpan.FromSeconds(6));
        after = await CollectedStats(api, server);
        var grains = UserActivations(after) - userActivationsBefore;
        var bytes = after["gatewayProcessManagedBytes"]!.GetValue<long>() - before["gatewayProcessManagedBytes"]!.GetValue<long>();
        Console.WriteLine($"memory: after: {UserActivations(after)} user grains (+{grains}), managed heap {after["gatewayProcessManagedBytes"]!.GetValue<long>() / 1048576.0:F1} MiB, working set {after["gatewayProcessWorkingSetBytes"]!.GetValue<long>() / 1048576.0:F1} MiB");
        Console.WriteLine($"memory: {bytes / (double)Math.Max(1, grains):F0} managed bytes per resident user grain (heap growth / new user activations, after forced full GC, 6 s after the last event)");
        if (idle > TimeSpan.Zero)
        {
            // Delivered events leave the stream cache and idle stream cursors are dropped after
            // their windows (30 s / 2 min); the grains stay resident (collection age 15 min).
            await Task.Delay(idle);
            var rested = await CollectedStats(api, server);
            var restedGrains = UserActivations(rested) - userActivationsBefore;
            var restedBytes = rested["gatewayProcessManagedBytes"]!.GetValue<long>() - before["gatewayProcessManagedBytes"]!.GetValue<long>();
            Console.WriteLine($"memory: after {idle.TotalSeconds:F0} s idle: {UserActivations(rested)} user grains, managed heap {rested["gatewayProcessManagedBytes"]!.GetValue<long>() / 1048576.0:F1} MiB = {restedBytes / (double)Math.Max(1, restedGrains):F0} managed bytes per resident user grain");
        }
    }

    /// <summary>A quarter of the server's Retry-After (at most 250 ms): the backlog usually drains sooner.</summary>
    private static TimeSpan RetryDelay(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta ? TimeSpan.FromMilliseconds(Math.Min(delta.TotalMilliseconds, 1000) / 4) : TimeSpan.FromMilliseconds(250);

    /// <summary>Cluster stats after a full collection in the server process (only for the memory measurements themselves).</summary>
    private static async Task<JsonNode> CollectedStats(CohortlyApiClient api, ServerGc server)
    {
        await server.CollectAsync(async () => (await api.StatsAsync(CancellationToken.None))["gatewayProcessGcCollections"]![2]!.GetValue<int>(), TimeSpan.FromSeconds(60));
        return await api.StatsAsync(CancellationToken.None);
    }

    private static int UserActivations(JsonNode stats)
    {
        foreach (var t in stats["activationsByType"]!.AsArray())
        {
            if (t!["grainType"]!.GetValue<string>().Contains("UserGrain", StringComparison.Ordinal))
            {
                return t["activations"]!.GetValue<int>();
            }
        }

        return 0;
    }

    internal static byte[] Body(IReadOnlyList<SyntheticEvent> events)
    {
        var array = new JsonArray();
        foreach (var e in events)
        {
            array.Add(new JsonObject
            {
                ["eventId"] = e.EventId,
                ["userId"] = e.UserId,
                ["itemId"] = e.ItemId,
                ["type"] = e.Type.ToWireName(),
                ["value"] = e.Value,
                ["timestamp"] = e.Timestamp,
                ["context"] = new JsonObject { ["device"] = e.Device },
            });
        }

        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["events"] = array });
    }

    internal static string Percentiles(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return "n/a";
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        string P(double q) => BenchReport.Percentile(sorted, q).ToString("F2", CultureInfo.InvariantCulture);
        return $"p50 {P(0.50)} ms, p90 {P(0.90)} ms, p99 {P(0.99)} ms, max {sorted[^1].ToString("F2", CultureInfo.InvariantCulture)} ms";
    }
}
