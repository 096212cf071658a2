using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.TestSupport;

namespace Cohortly.Bench;

/// <summary>
/// Fail-over drill in cluster mode on loopback: starts redis-server (append-only file), two silo processes and a
/// gateway process on free ports, feeds distinct events open-loop plus a trickle of recommendation GETs, kills one
/// silo with SIGKILL, keeps going (optionally restarts it), then checks every user's profile against the events
/// the gateway acknowledged. Bounded in time; kills its children on exit.
/// </summary>
internal static class FailoverCommand
{
    internal const string Usage = """
        usage: Cohortly.Bench failover [options]
          --users N            users the events spread over (default 2000)
          --rate N             events per second offered (default 3000), in batches of --batch (default 100)
          --seconds N          ingest duration (default 75)
          --fault silo|redis   what gets SIGKILL: silo1 (default) or redis-server
          --kill-at N          seconds into the ingest when it gets SIGKILL (default 20)
          --down-seconds N     with --fault redis: seconds before redis-server starts again on its AOF (default 10)
          --restart            start silo1 again on its ports after the kill (default: the survivor carries on alone)
          --restart-after N    seconds between the kill and the restart (default 0)
          --fsync POLICY       Redis appendfsync: always | everysec (default everysec)
          --recommend-rate N   recommendation GETs per second during the run (default 20)
          --probe-users N      fixed sample of users probed (profile + recommendations) every 250 ms (default 100)
          --settle-seconds N   longest wait, after the ingest, for every profile to hold its events (default 90)
          --seed N             (default 1)
        Prints acknowledged / lost / doubled events, seconds from the kill until every probed user answers 200 again,
        HTTP errors by endpoint from the kill to that moment, latency of the recommendation GETs before the kill and
        from the kill to recovery (to the restart, for redis), and acknowledged events/s before, during and after.
        """;

    public static Task<int> RunAsync(string[] args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(Usage);
            return Task.FromResult(0);
        }

        return HttpBenchRunner.RunAsync("failover", args, Run);
    }

    private static async Task<int> Run(BenchArgs a, string[] rawArgs, CancellationToken cancellationToken)
    {
        var users = a.GetInt("users", 2000);
        var rate = a.GetInt("rate", 3000);
        var batch = a.GetInt("batch", 100);
        var seconds = a.GetInt("seconds", 75);
        var killAt = a.GetInt("kill-at", 20);
        var faultKind = a.Get("fault") ?? "silo";
        var downSeconds = a.GetInt("down-seconds", 10);
        var restart = a.Has("restart");
        var restartAfter = a.GetInt("restart-after", 0);
        var fsync = a.Get("fsync") ?? "everysec";
        var recommendRate = a.GetInt("recommend-rate", 20);
        var probeCount = a.GetInt("probe-users", 100);
        var settle = TimeSpan.FromSeconds(a.GetInt("settle-seconds", 90));
        var seed = a.GetInt("seed", 1);
        if (users < 1 || rate < 1 || batch is < 1 or > 1000 || seconds < 1 || killAt < 1 || killAt >= seconds || probeCount < 1 || probeCount > users || recommendRate < 0)
        {
            throw new ArgumentException("need --users ≥ 1, --rate ≥ 1, --batch 1..1000, 1 ≤ --kill-at < --seconds, 1 ≤ --probe-users ≤ --users, --recommend-rate ≥ 0");
        }

        if (faultKind is not ("silo" or "redis") || downSeconds < 1)
        {
            throw new ArgumentException("--fault must be silo or redis; --down-seconds ≥ 1");
        }

        if (fsync is not ("always" or "everysec"))
        {
            throw new ArgumentException("--fsync must be always or everysec");
        }

        var keys = ($"bench-app-{Guid.NewGuid():N}", $"bench-admin-{Guid.NewGuid():N}");
        Console.Error.WriteLine("failover: starting redis-server, 2 silos and a gateway on loopback ...");
        using var cluster = await LocalCluster.StartAsync(
            new LocalClusterOptions { Name = "bench-failover", AppKey = keys.Item1, AdminKey = keys.Item2, AppendFsync = fsync },
            TimeSpan.FromSeconds(120),
            cancellationToken);
        cluster.DisposeOnExit();
        using var http = CohortlyApiClient.ForLoopback(cluster.Address.ToString().TrimEnd('/'), keys.Item1, keys.Item2, 32, TimeSpan.FromSeconds(10));
        var run = new DrillRun(users, seed);

        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probeUsers = Enumerable.Range(0, users).OrderBy(_ => run.Random.Next()).Take(probeCount).Select(DrillRun.User).ToArray();
        var probe = Probe(http, probeUsers, run, clock, stop.Token);
        var recommend = recommendRate > 0 ? Recommend(http, recommendRate, run, clock, stop.Token) : Task.CompletedTask;
        var fault = faultKind == "redis"
            ? RedisFault(cluster, run, clock, TimeSpan.FromSeconds(killAt), TimeSpan.FromSeconds(downSeconds), cancellationToken)
            : Fault(cluster, run, clock, TimeSpan.FromSeconds(killAt), restart, TimeSpan.FromSeconds(restartAfter), cancellationToken);
        await Ingest(http, run, rate, batch, TimeSpan.FromSeconds(seconds), clock, cancellationToken);
        await fault;
        var ingestEnd = clock.Elapsed;
        Console.Error.WriteLine($"failover: ingest over at {ingestEnd.TotalSeconds:F1} s; {run.Acknowledged} events acknowledged, {run.Unacknowledged} not; resending those ...");
        await ResendUnacknowledged(http, run, batch, TimeSpan.FromSeconds(60), clock, cancellationToken);

        var (lost, doubled, settledAfter, unreadable) = await Settle(http, run, settle, clock, cancellationToken);
        await stop.CancelAsync();
        await Task.WhenAll(probe, recommend);

        var storage = await StorageAsync(cluster, users);
        var killTime = run.KillTime!.Value;
        var recovered = run.ProbeRecovered;
        var windowEnd = recovered ?? ingestEnd;
        Console.WriteLine();
        Console.WriteLine("```");
        Console.WriteLine("# cohortly failover");
        Console.WriteLine($"command:    {BenchReport.Command("failover", rawArgs)}");
        Console.WriteLine($"machine:    {BenchReport.Machine()}; redis-server, 2 silo processes, gateway and this client on the same machine (loopback)");
        Console.WriteLine($"date:       {BenchReport.Date()}");
        Console.WriteLine($"setup:      Redis appendonly yes, appendfsync {fsync}; {users} users; {rate} events/s offered in batches of {batch} for {seconds} s; {(faultKind == "redis" ? $"redis-server SIGKILL at {killTime.TotalSeconds:F1} s, restarted on its append-only file at {run.RestartTime?.TotalSeconds:F1} s" : $"silo1 SIGKILL at {killTime.TotalSeconds:F1} s{(restart ? $", restarted on its ports at {run.RestartTime?.TotalSeconds:F1} s" : ", not restarted")}")}; {recommendRate} recommendation GETs/s; {probeCount} probed users");
        Console.WriteLine($"events:     acknowledged {run.Acknowledged}, lost {lost}, doubled {doubled} (per user: profile total vs acknowledged events); {(settledAfter is { } s ? $"every profile exact {s.TotalSeconds:F1} s after the kill" : $"profiles not all exact {settle.TotalSeconds:F0} s after the ingest")}; never acknowledged {run.Unacknowledged}; unreadable profiles {unreadable}");
        Console.WriteLine($"fail-over:  {(recovered is { } r ? $"{(r - killTime).TotalSeconds:F1} s" : "never")} from the kill until all {probeCount} probed users answered 200 to profile and recommendations again (first probe failure {(run.FirstProbeFailure is { } f ? $"+{(f - killTime).TotalSeconds:F1} s" : "none")})");
        Console.WriteLine($"errors:     from the kill to {(recovered is null ? "the end of the ingest" : "recovery")}: {run.ErrorsBetween(killTime, windowEnd)}; whole run: {run.ErrorsBetween(TimeSpan.Zero, TimeSpan.MaxValue)}");
        var outageEnd = faultKind == "redis" ? run.RestartTime ?? windowEnd : windowEnd;
        Console.WriteLine($"latency:    GET /v1/users/{{id}}/recommendations before the kill {run.LatencyBetween(TimeSpan.Zero, killTime)}; from the kill to {(faultKind == "redis" ? "redis' restart" : "recovery")} {run.LatencyBetween(killTime, outageEnd)}");
        Console.WriteLine($"storage:    {storage}");
        Console.WriteLine($"ingest:     acknowledged events/s before the kill {run.AckRate(TimeSpan.FromSeconds(2), killTime):F0}, during fail-over {run.AckRate(killTime, windowEnd):F0}, after {run.AckRate(windowEnd, ingestEnd):F0}; batch answers {run.BatchOutcomes()}");
        Console.WriteLine("```");
        return lost == 0 && doubled == 0 && recovered is not null ? 0 : 1;
    }

    /// <summary>
    /// What the run left in Redis per user: the user grain's stored state (MEMORY USAGE of each key, which includes the
    /// event ids kept for deduplication) and the partitions' heads hashes (one field per user stream).
    /// </summary>
    private static async Task<string> StorageAsync(LocalCluster cluster, int users)
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var database = redis.GetDatabase();
        long stateBytes = 0, states = 0, headsBytes = 0, partitionBytes = 0, entries = 0;
        foreach (var key in server.Keys(pattern: "*", pageSize: 1000))
        {
            var name = key.ToString();
            var bytes = (long)(await database.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0"));
            if (name.EndsWith("}:heads", StringComparison.Ordinal))
            {
                headsBytes += bytes;
            }
            else if (name.Contains(":stream:", StringComparison.Ordinal) && name.EndsWith('}'))
            {
                partitionBytes += bytes;
                entries += await database.StreamLengthAsync(key);
            }
            else if (name.Contains("user/", StringComparison.Ordinal))
            {
                stateBytes += bytes;
                states++;
            }
        }

        return $"user state {states} keys, {stateBytes / (double)Math.Max(1, states):F0} bytes each on average; heads hashes {headsBytes / (double)users:F0} bytes per user; "
            + $"the log {partitionBytes / (double)Math.Max(1, entries):F0} bytes per entry ({entries} entries)";
    }

    private static async Task RedisFault(LocalCluster cluster, DrillRun run, Stopwatch clock, TimeSpan at, TimeSpan down, CancellationToken cancellationToken)
    {
        await Task.Delay(at, cancellationToken);
        cluster.Redis.KillHard();
        run.KillTime = clock.Elapsed;
        Console.Error.WriteLine($"failover: redis-server killed at {run.KillTime.Value.TotalSeconds:F1} s");
        await Task.Delay(down, cancellationToken);
        cluster.Redis.Restart();
        await cluster.Redis.WaitUntilReadyAsync(cancellationToken: cancellationToken);
        run.RestartTime = clock.Elapsed;
        Console.Error.WriteLine($"failover: redis-server started again at {run.RestartTime.Value.TotalSeconds:F1} s");
    }

    private static async Task Fault(LocalCluster cluster, DrillRun run, Stopwatch clock, TimeSpan at, bool restart, TimeSpan restartAfter, CancellationToken cancellationToken)
    {
        await Task.Delay(at, cancellationToken);
        cluster.KillSilo(1);
        run.KillTime = clock.Elapsed;
        Console.Error.WriteLine($"failover: silo1 killed at {run.KillTime.Value.TotalSeconds:F1} s");
        if (restart)
        {
            await Task.Delay(restartAfter, cancellationToken);
            cluster.StartSilo(1);
            run.RestartTime = clock.Elapsed;
            Console.Error.WriteLine($"failover: silo1 started again at {run.RestartTime.Value.TotalSeconds:F1} s");
        }
    }

    /// <summary>Open loop: batch i is due at i × batch / rate; at most 32 in flight (a late batch goes when a slot frees).</summary>
    internal static async Task Ingest(CohortlyApiClient http, DrillRun run, int rate, int batch, TimeSpan duration, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(32);
        var sends = new List<Task>();
        var interval = TimeSpan.FromSeconds(batch / (double)rate);
        var start = clock.Elapsed;
        for (var i = 0; clock.Elapsed - start < duration; i++)
        {
            var due = start + (interval * i) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }

            await slots.WaitAsync(cancellationToken);
            var indices = run.NewEvents(batch);
            if (run.TakeRetry() is { } retry)
            {
                sends.Add(SendThenRelease(retry, acquired: false));
            }

            sends.Add(SendThenRelease(indices, acquired: true));
        }

        await Task.WhenAll(sends);

        async Task SendThenRelease(int[] indices, bool acquired)
        {
            try
            {
                await Send(http, run, indices, clock, cancellationToken);
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

    private static async Task Send(CohortlyApiClient http, DrillRun run, int[] indices, Stopwatch clock, CancellationToken cancellationToken)
    {
        var (status, notAccepted) = await http.TryPostEventsAsync(run.Body(indices), indices.Length, cancellationToken);
        run.Answered(indices, status, notAccepted, clock.Elapsed);
    }

    internal static async Task ResendUnacknowledged(CohortlyApiClient http, DrillRun run, int batch, TimeSpan budget, Stopwatch clock, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (run.TakeRetry(ignoreDelay: true) is { } indices && watch.Elapsed < budget)
        {
            foreach (var chunk in indices.Chunk(batch))
            {
                await Send(http, run, chunk, clock, cancellationToken);
            }

            if (run.HasRetries)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>Every 250 ms, profile and recommendations of each probed user; records the first all-200 round after the kill.</summary>
    private static async Task Probe(CohortlyApiClient http, string[] users, DrillRun run, Stopwatch clock, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var roundStart = clock.Elapsed;
                var failures = 0;
                await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (user, ct) =>
                {
                    if (run.EventsSentTo(user) == 0)
                    {
                        return;
                    }

                    var ok = await run.Timed("probe GET /v1/users/{id}", () => http.ProfileEventsAsync(user, ct), clock)
                        && await run.Timed("probe GET /v1/users/{id}/recommendations", () => http.RecommendAsync(user, 10, explore: false, ct), clock);
                    if (!ok)
                    {
                        Interlocked.Increment(ref failures);
                    }
                });
                if (failures > 0 && run.KillTime is { } kill && roundStart >= kill)
                {
                    run.FirstProbeFailure ??= clock.Elapsed;
                }

                // A round that started after the kill and failed nothing: the dead silo's users are served again.
                if (failures == 0 && run.KillTime is { } killed && roundStart > killed && run.ProbeRecovered is null)
                {
                    run.ProbeRecovered = clock.Elapsed;
                    Console.Error.WriteLine($"failover: every probed user served again at {clock.Elapsed.TotalSeconds:F1} s");
                }

                await Task.Delay(250, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    internal static async Task Recommend(CohortlyApiClient http, int rate, DrillRun run, Stopwatch clock, CancellationToken cancellationToken)
    {
        var rng = new Random(run.Seed + 7);
        var sends = new List<Task>();
        var start = clock.Elapsed;
        try
        {
            for (var i = 0; !cancellationToken.IsCancellationRequested; i++)
            {
                var due = start + TimeSpan.FromSeconds(i / (double)rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }

                var user = DrillRun.User(rng.Next(run.Users));
                // The stop token ends the sending, not the requests in flight: cancelling them counted the one or two
                // GETs still open at a step's end as "timeout" errors (the multi-silo ladders of `bench scale` stopped
                // on them). A request that really hangs ends at the client's own timeout and is still an error.
                sends.Add(run.Timed("GET /v1/users/{id}/recommendations", () => http.RecommendAsync(user, 10, explore: true, CancellationToken.None), clock));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        try
        {
            await Task.WhenAll(sends);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Waits until every user's profile total equals its acknowledged events (bounded), then counts the difference.</summary>
    internal static async Task<(long Lost, long Doubled, TimeSpan? SettledAfterKill, int Unreadable)> Settle(CohortlyApiClient http, DrillRun run, TimeSpan budget, Stopwatch clock, CancellationToken cancellationToken)
    {
        var expected = run.ExpectedPerUser();
        var applied = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var pending = expected.Keys.ToHashSet(StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        TimeSpan? settled = null;
        var unreadable = 0;
        while (true)
        {
            var exact = new ConcurrentBag<string>();
            unreadable = 0;
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (user, ct) =>
            {
                try
                {
                    var total = await http.ProfileEventsAsync(user, ct) ?? 0;
                    applied[user] = total;
                    if (total == expected[user])
                    {
                        exact.Add(user);
                    }
                }
                catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
                {
                    Interlocked.Increment(ref unreadable);
                }
            });
            pending.ExceptWith(exact);
            if (pending.Count == 0)
            {
                settled = clock.Elapsed - run.KillTime!.Value;
                break;
            }

            if (watch.Elapsed > budget)
            {
                break;
            }

            Console.Error.WriteLine($"failover: {pending.Count} of {expected.Count} profiles not exact yet at {clock.Elapsed.TotalSeconds:F1} s");
            await Task.Delay(1000, cancellationToken);
        }

        long lost = 0, doubled = 0;
        foreach (var (user, count) in expected)
        {
            var diff = applied.GetValueOrDefault(user) - count;
            lost += Math.Max(0, -diff);
            doubled += Math.Max(0, diff);
        }

        return (lost, doubled, settled, unreadable);
    }

    /// <summary>The run's bookkeeping: every event's acknowledgement, the resend queue, errors and acks over time.</summary>
    internal sealed class DrillRun(int users, int seed)
    {
        private static readonly InteractionType[] Types = [InteractionType.View, InteractionType.Click, InteractionType.AddToCart];
        private readonly string _tag = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        private readonly List<bool> _acked = [];
        private readonly List<double> _firstAckSeconds = [];
        private readonly ConcurrentQueue<(int[] Indices, long FailedAt)> _retries = new();
        private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
        private readonly List<(TimeSpan At, string Endpoint, string Error)> _errors = [];
        private readonly List<(TimeSpan At, double Milliseconds)> _recommendLatency = [];
        private readonly int[] _sentPerUser = new int[users];
        private int _next;

        public int Users => users;

        public int Seed => seed;

        public Random Random { get; } = new(seed);

        public TimeSpan? KillTime { get; set; }

        public TimeSpan? RestartTime { get; set; }

        public TimeSpan? FirstProbeFailure { get; set; }

        public TimeSpan? ProbeRecovered { get; set; }

        public bool HasRetries => !_retries.IsEmpty;

        public int Acknowledged
        {
            get
            {
                lock (_acked)
                {
                    return _acked.Count(a => a);
                }
            }
        }

        public int Unacknowledged
        {
            get
            {
                lock (_acked)
                {
                    return _acked.Count(a => !a);
                }
            }
        }

        public static string User(int n) => "fo-u" + n.ToString(CultureInfo.InvariantCulture);

        /// <summary>Event i belongs to user i mod users, so every user gets events all through the run.</summary>
        public int[] NewEvents(int count)
        {
            lock (_acked)
            {
                var indices = new int[count];
                for (var i = 0; i < count; i++)
                {
                    indices[i] = _next++;
                    _acked.Add(false);
                    _firstAckSeconds.Add(double.NaN);
                    Interlocked.Increment(ref _sentPerUser[indices[i] % users]);
                }

                return indices;
            }
        }

        public int EventsSentTo(string user) => Volatile.Read(ref _sentPerUser[int.Parse(user.AsSpan(4), CultureInfo.InvariantCulture)]);

        public byte[] Body(int[] indices)
        {
            var buffer = new ArrayBufferWriter<byte>(indices.Length * 160);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartArray("events");
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                foreach (var i in indices)
                {
                    var e = new Interaction(User(i % users), "sku-" + (i % 500).ToString(CultureInfo.InvariantCulture), Types[i % Types.Length], null, now, null);
                    BenchPayloads.WriteEvent(w, $"fo-{_tag}-{i}", e);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            return buffer.WrittenSpan.ToArray();
        }

        public void Answered(int[] indices, int status, IReadOnlyList<int> notAccepted, TimeSpan at)
        {
            var outcome = status == 0 ? "no answer" : status.ToString(CultureInfo.InvariantCulture);
            _outcomes.AddOrUpdate(notAccepted.Count > 0 && status == 202 ? "202 partial" : outcome, 1, (_, n) => n + 1);
            var refused = new HashSet<int>(notAccepted);
            var retry = new List<int>();
            lock (_acked)
            {
                for (var p = 0; p < indices.Length; p++)
                {
                    if (refused.Contains(p))
                    {
                        if (!_acked[indices[p]])
                        {
                            retry.Add(indices[p]);
                        }
                    }
                    else if (!_acked[indices[p]])
                    {
                        _acked[indices[p]] = true;
                        _firstAckSeconds[indices[p]] = at.TotalSeconds;
                    }
                }
            }

            if (retry.Count > 0)
            {
                _retries.Enqueue(([.. retry], Stopwatch.GetTimestamp()));
                lock (_errors)
                {
                    _errors.Add((at, "POST /v1/events", outcome));
                }
            }
        }

        /// <summary>A refused or unanswered batch, once a second has passed (the Retry-After of a 503).</summary>
        public int[]? TakeRetry(bool ignoreDelay = false) =>
            _retries.TryPeek(out var r) && (ignoreDelay || Stopwatch.GetElapsedTime(r.FailedAt) > TimeSpan.FromSeconds(1)) && _retries.TryDequeue(out r) ? r.Indices : null;

        /// <summary>Runs a GET; records a failure by endpoint and time; true when it succeeded.</summary>
        public async Task<bool> Timed<T>(string endpoint, Func<Task<T>> call, Stopwatch clock)
        {
            var started = clock.Elapsed;
            try
            {
                await call();
                if (endpoint == "GET /v1/users/{id}/recommendations")
                {
                    lock (_recommendLatency)
                    {
                        _recommendLatency.Add((started, (clock.Elapsed - started).TotalMilliseconds));
                    }
                }

                return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                var error = e is HttpRequestException { StatusCode: { } code } ? ((int)code).ToString(CultureInfo.InvariantCulture) : e is TaskCanceledException ? "timeout" : "no answer";
                lock (_errors)
                {
                    _errors.Add((clock.Elapsed, endpoint, error));
                }

                return false;
            }
        }

        /// <summary>Successful background recommendation GETs that started in the window, sorted latencies in ms.</summary>
        public double[] LatenciesBetween(TimeSpan from, TimeSpan to)
        {
            lock (_recommendLatency)
            {
                return [.. _recommendLatency.Where(l => l.At >= from && l.At < to).Select(l => l.Milliseconds).Order()];
            }
        }

        /// <summary>Errors of every endpoint in the window.</summary>
        public int ErrorCountBetween(TimeSpan from, TimeSpan to)
        {
            lock (_errors)
            {
                return _errors.Count(e => e.At >= from && e.At < to);
            }
        }

        /// <summary>Latency of the successful background recommendation GETs that started in the window.</summary>
        public string LatencyBetween(TimeSpan from, TimeSpan to)
        {
            List<double> ms;
            lock (_recommendLatency)
            {
                ms = _recommendLatency.Where(l => l.At >= from && l.At < to).Select(l => l.Milliseconds).Order().ToList();
            }

            return ms.Count == 0
                ? "no successful request"
                : string.Create(CultureInfo.InvariantCulture, $"n {ms.Count}, p50 {ms[ms.Count / 2]:F1} ms, p99 {ms[Math.Min(ms.Count - 1, (int)(ms.Count * 0.99))]:F1} ms, max {ms[^1]:F1} ms");
        }

        /// <summary>The errors in the window, each with its time: a diagnosis needs to see when a request failed.</summary>
        public IReadOnlyList<(TimeSpan At, string Endpoint, string Error)> ErrorListBetween(TimeSpan from, TimeSpan to)
        {
            lock (_errors)
            {
                return _errors.Where(e => e.At >= from && e.At < to).ToList();
            }
        }

        public string ErrorsBetween(TimeSpan from, TimeSpan to)
        {
            lock (_errors)
            {
                var groups = _errors.Where(e => e.At >= from && e.At < to)
                    .GroupBy(e => e.Endpoint)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => $"{g.Key} {g.Count()} ({string.Join(", ", g.GroupBy(e => e.Error).OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}: {x.Count()}"))})")
                    .ToList();
                return groups.Count == 0 ? "none" : string.Join("; ", groups);
            }
        }

        public double AckRate(TimeSpan from, TimeSpan to)
        {
            if (to <= from)
            {
                return double.NaN;
            }

            lock (_acked)
            {
                var n = _firstAckSeconds.Count(s => s >= from.TotalSeconds && s < to.TotalSeconds);
                return n / (to - from).TotalSeconds;
            }
        }

        public string BatchOutcomes() => string.Join(", ", _outcomes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}"));

        public Dictionary<string, long> ExpectedPerUser()
        {
            var expected = new Dictionary<string, long>(StringComparer.Ordinal);
            lock (_acked)
            {
                for (var i = 0; i < _acked.Count; i++)
                {
                    if (_acked[i])
                    {
                        var user = User(i % users);
                        expected[user] = expected.GetValueOrDefault(user) + 1;
                    }
                }
            }

            return expected;
        }
    }
}
