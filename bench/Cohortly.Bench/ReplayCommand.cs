using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Training;

namespace Cohortly.Bench;

/// <summary>
/// Online/offline parity: replays a data set's train+valid interactions into a running gateway, optionally trains
/// the cluster's models and scores the served recommendations of every test user against the test items, next to the
/// same training and serving code run in-process on the same events. Flags: <see cref="BenchHelp"/> (`replay --help`).
/// </summary>
internal static class ReplayCommand
{
    private const int K = 10;

    public static Task<int> RunAsync(string[] args) => HttpBenchRunner.RunAsync("replay", args, Run);

    private static async Task<int> Run(BenchArgs a, string[] rawArgs, CancellationToken cancellationToken)
    {
        var seed = a.GetInt("seed", 2024);
        var batch = a.GetInt("batch", 500);
        var concurrency = a.GetInt("concurrency", 8);
        var speedup = a.GetDouble("speedup", 0);
        if (batch is < 1 or > 1000 || concurrency < 1 || speedup < 0)
        {
            throw new ArgumentException("--batch must be 1..1000, --concurrency ≥ 1, --speedup ≥ 0");
        }

        var url = a.Require("url");
        using var http = CohortlyApiClient.ForLoopback(url, a.Require("key"), a.Get("admin-key"), concurrency);
        var summary = new List<string>
        {
            $"command: {BenchReport.Command("replay", rawArgs)}",
            $"machine: {BenchReport.Machine()}; client and server on the same machine (loopback)",
            $"date:    {BenchReport.Date()}",
        };

        var load = Stopwatch.StartNew();
        var data = ReplayData.Load(a, seed);
        var split = data.Split;
        var scorer = new ParityScorer(split, K);
        Console.Error.WriteLine($"loaded {data.Name} in {load.Elapsed.TotalSeconds:F1}s: {split.Catalog.UserCount} users, {split.Catalog.ItemCount} items; train {split.Train.Count}, valid {split.Validation.Count}, test {split.Test.Count}; {data.Events.Count} events to replay ({data.DuplicateEvents} duplicate rows dropped); {scorer.Users.Length} test users");
        summary.Add($"data:    {data.Name} ({data.Protocol}); {split.Catalog.UserCount} users, {split.Catalog.ItemCount} items; replayed train+valid {data.Events.Count} events; test {split.Test.Count} interactions of {scorer.Users.Length} users");

        if (!a.Has("no-ingest"))
        {
            var items = await http.PutItemsAsync(BenchPayloads.Items(split.Catalog), cancellationToken);
            Console.Error.WriteLine($"items: {items} upserted ({(split.Catalog.HasItemMetadata ? "with titles and categories" : "ids only: the format has no item metadata")})");
            summary.Add(await Ingest(http, data, batch, concurrency, speedup, a.GetInt("max-gap-ms", 1000), cancellationToken));
            summary.Add(await WaitApplied(http, data, seed, TimeSpan.FromSeconds(a.GetInt("apply-timeout", 600)), cancellationToken));
        }

        long? version = null;
        if (a.Has("train"))
        {
            var (line, trained, _) = await Train(http, scorer, TimeSpan.FromSeconds(a.GetInt("train-timeout", 3600)), TimeSpan.FromSeconds(a.GetInt("serve-timeout", 120)), cancellationToken);
            summary.Add(line);
            if (trained is null)
            {
                Print(summary);
                return 1;
            }

            version = trained;
        }

        if (a.Has("score"))
        {
            var options = new TrainingOptions
            {
                PositiveRating = a.GetDouble("positive-rating", new TrainingOptions().PositiveRating),
                Tuning = new TrainingTuningOptions { Enabled = TuningFlag(a) },
                // Match the server's Cohortly:Training:EaseWeight when it is set there.
                EaseWeight = (float)a.GetDouble("ease-weight", 0),
            };
            // The server trains at its wall clock (profiles' recency features are measured then), so the offline run
            // does the same by default; "last" measures at the last event instead, as an offline-only study would.
            DateTimeOffset? trainingNow = a.Get("offline-now") switch
            {
                "last" => null,
                null or "wall" => DateTimeOffset.UtcNow,
                var other => throw new ArgumentException($"--offline-now must be last or wall, not '{other}'"),
            };
            summary.AddRange(await Score(http, data, scorer, options, trainingNow, concurrency, version, a.Get("diff-out"), cancellationToken));
        }

        Print(summary);
        return 0;
    }

    /// <summary>--tuning on|off (on): whether the in-process run tunes itself (the server's Cohortly:Training:Tuning:Enabled must match).</summary>
    internal static bool TuningFlag(BenchArgs a) => a.Get("tuning") switch
    {
        null or "on" => true,
        "off" => false,
        var other => throw new ArgumentException($"--tuning must be on or off, not '{other}'"),
    };

    internal static string TuningLine(TuningReport? tuning)
    {
        if (tuning is null)
        {
            return "none";
        }

        if (!tuning.Enabled)
        {
            return tuning.Reason;
        }

        var chosen = new List<string>();
        foreach (var (name, value) in tuning.Chosen)
        {
            chosen.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={value:G6}"));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{tuning.Reason}; chosen [{string.Join(", ", chosen)}]; {tuning.Seconds:F1}s{(tuning.Stopped is { } s ? $"; stopped by {s}" : "")}");
    }

    private static void Print(List<string> summary)
    {
        Console.WriteLine();
        Console.WriteLine("```");
        Console.WriteLine("# cohortly replay");
        foreach (var line in summary)
        {
            Console.WriteLine(line);
        }

        Console.WriteLine("```");
    }

    private static async Task<string> Ingest(CohortlyApiClient http, ReplayData data, int batch, int concurrency, double speedup, int maxGapMs, CancellationToken cancellationToken)
    {
        var events = data.Events;
        var watch = Stopwatch.StartNew();
        long sent = 0;
        long batches = 0;
        using var progress = new Timer(_ => Console.Error.WriteLine($"  ingest: {Interlocked.Read(ref sent)}/{events.Count} events, {watch.Elapsed.TotalSeconds:F0}s, {http.Retries} retries after 503"), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        string mode;
        if (speedup > 0)
        {
            mode = await RealTime(http, events, batch, speedup, maxGapMs, b => { Interlocked.Add(ref sent, b); Interlocked.Increment(ref batches); }, cancellationToken);
        }
        else
        {
            // Lanes by user: a user's events stay in order (profiles depend on it) while lanes run in parallel.
            var lanes = new List<ReplayEvent>[concurrency];
            for (var l = 0; l < lanes.Length; l++)
            {
                lanes[l] = [];
            }

            foreach (var e in events)
            {
                lanes[e.User % concurrency].Add(e);
            }

            await Task.WhenAll(Array.ConvertAll(lanes, async lane =>
            {
                for (var start = 0; start < lane.Count; start += batch)
                {
                    var n = Math.Min(batch, lane.Count - start);
                    await http.PostEventsAsync(BenchPayloads.EventBody(lane, start, n), n, cancellationToken);
                    Interlocked.Add(ref sent, n);
                    Interlocked.Increment(ref batches);
                }
            }));
            mode = $"as fast as accepted, {concurrency} lanes by user (per-user time order kept)";
        }

        var seconds = watch.Elapsed.TotalSeconds;
        var line = string.Create(CultureInfo.InvariantCulture, $"ingest:  {sent} events in {batches} batches of ≤{batch} in {seconds:F1}s = {sent / seconds:F0} events/s accepted; {http.Retries} batch retries after 503; 0 rejected; {mode}");
        Console.Error.WriteLine(line);
        return line;
    }

    /// <summary>Sends in compressed real time: gaps shrink by <paramref name="speedup"/> and are capped at <paramref name="maxGapMs"/>.</summary>
    private static async Task<string> RealTime(CohortlyApiClient http, List<ReplayEvent> events, int batch, double speedup, int maxGapMs, Action<int> sent, CancellationToken cancellationToken)
    {
        var due = new double[events.Count];
        var capped = 0;
        for (var i = 1; i < due.Length; i++)
        {
            var gap = (events[i].Interaction.TimestampMs - events[i - 1].Interaction.TimestampMs) / speedup;
            if (gap > maxGapMs)
            {
                gap = maxGapMs;
                capped++;
            }

            due[i] = due[i - 1] + gap;
        }

        var clock = Stopwatch.StartNew();
        var maxLate = 0.0;
        for (var i = 0; i < events.Count;)
        {
            var wait = due[i] - clock.Elapsed.TotalMilliseconds;
            if (wait > 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken);
            }

            var now = clock.Elapsed.TotalMilliseconds;
            maxLate = Math.Max(maxLate, now - due[i]);
            var end = i;
            while (end < events.Count && end - i < batch && due[end] <= now)
            {
                end++;
            }

            end = Math.Max(end, i + 1);
            await http.PostEventsAsync(BenchPayloads.EventBody(events, i, end - i), end - i, cancellationToken);
            sent(end - i);
            i = end;
        }

        var span = events.Count == 0 ? 0 : (events[^1].Interaction.TimestampMs - events[0].Interaction.TimestampMs) / 86_400_000.0;
        return string.Create(CultureInfo.InvariantCulture, $"real time at {speedup:G}x: {span:F1} days of data in {clock.Elapsed.TotalSeconds:F1}s, {capped} gaps capped at {maxGapMs} ms, one sender in global time order, worst lateness {maxLate:F0} ms");
    }

    /// <summary>Waits until sampled users' profiles have applied all their replayed events (accepted is not applied).</summary>
    private static async Task<string> WaitApplied(CohortlyApiClient http, ReplayData data, int seed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var e in data.Events)
        {
            expected[e.Interaction.UserId] = expected.GetValueOrDefault(e.Interaction.UserId) + 1;
        }

        // The users of the last events (applied last) plus a seeded sample.
        var sample = new HashSet<string>(StringComparer.Ordinal);
        for (var i = data.Events.Count - 1; i >= 0 && sample.Count < 10; i--)
        {
            sample.Add(data.Events[i].Interaction.UserId);
        }

        var all = expected.Keys.ToArray();
        var rng = new Random(seed);
        for (var i = 0; i < 30 && all.Length > 0; i++)
        {
            sample.Add(all[rng.Next(all.Length)]);
        }

        var watch = Stopwatch.StartNew();
        var pending = new List<string>(sample);
        while (pending.Count > 0)
        {
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                if (await http.ProfileEventsAsync(pending[i], cancellationToken) is { } applied && applied >= expected[pending[i]])
                {
                    pending.RemoveAt(i);
                }
            }

            if (pending.Count > 0)
            {
                if (watch.Elapsed > timeout)
                {
                    throw new TimeoutException($"{pending.Count} of {sample.Count} sampled users had not applied all their events after {timeout.TotalSeconds:F0}s (e.g. user {pending[0]}: {await http.ProfileEventsAsync(pending[0], cancellationToken)} of {expected[pending[0]]})");
                }

                await Task.Delay(200, cancellationToken);
            }
        }

        var line = string.Create(CultureInfo.InvariantCulture, $"applied: all events of {sample.Count} sampled users in their profiles {watch.Elapsed.TotalSeconds:F1}s after the last batch was accepted");
        Console.Error.WriteLine(line);
        return line;
    }

    private static Task<(string Line, long? Version, bool Served)> Train(CohortlyApiClient http, ParityScorer scorer, TimeSpan timeout, TimeSpan serveTimeout, CancellationToken cancellationToken) =>
        Train(http, scorer.UserId(scorer.Users[0]), timeout, serveTimeout, cancellationToken);

    /// <summary>Starts a training run, follows its progress, and waits until <paramref name="user"/>'s recommendations come from the new version.</summary>
    internal static async Task<(string Line, long? Version, bool Served)> Train(CohortlyApiClient http, string user, TimeSpan timeout, TimeSpan serveTimeout, CancellationToken cancellationToken)
    {
        var last = "";
        var run = await http.TrainAsync(
            timeout,
            s =>
            {
                var shown = $"{s["state"]?.GetValue<string>()} {s["stage"]} {Fmt(s["percent"], "F0")}%";
                if (shown != last)
                {
                    Console.Error.WriteLine($"  training: {shown} after {Fmt(s["elapsedSeconds"], "F1")}s, about {Fmt(s["estimatedRemainingSeconds"], "F0")}s left");
                    last = shown;
                }
            },
            cancellationToken);
        var seconds = Fmt(run.Status["elapsedSeconds"], "F1");
        if (!run.Succeeded)
        {
            var failed = $"training: FAILED after {seconds}s: {run.Status["error"]}";
            Console.Error.WriteLine(failed);
            return (failed, null, false);
        }

        var version = run.Version ?? throw new HttpRequestException("training succeeded but reported no lastVersion");
        var models = await http.AdminGetAsync("/v1/models", cancellationToken);
        Console.Error.WriteLine($"training: succeeded, version {version} in {seconds}s (server); models: active {models["activeVersion"]}, {models["versions"]?.AsArray().Count} stored");
        if (run.Status["promoted"]?.GetValue<bool>() == false)
        {
            // The promotion gate kept the active version: this version will not serve, so say why instead of waiting.
            var rejected = $"training: version {version} was REJECTED by the promotion gate ({run.Status["promotion"]}); the active version {models["activeVersion"]} keeps serving";
            Console.Error.WriteLine(rejected);
            return (rejected, version, false);
        }


        // The silos load the activated version shortly after; parity is only meaningful once it serves.
        var served = await http.WaitUntilServedAsync(user, version, serveTimeout, cancellationToken);
        var line = served is { } after
            ? $"train:   version {version} in {seconds}s (server elapsedSeconds; stages printed above); served by user {user}'s recommendations {after.TotalSeconds:F1}s after training finished (wall clock {(run.Waited + after).TotalSeconds:F1}s from POST)"
            : $"train:   version {version} in {seconds}s (server elapsedSeconds), but NOT served: user {user}'s recommendations still report model version {(await http.RecommendAsync(user, K, explore: false, cancellationToken)).ModelVersion?.ToString(CultureInfo.InvariantCulture) ?? "none"} after {serveTimeout.TotalSeconds:F0}s; the online numbers below are not from this model";
        Console.Error.WriteLine(line);
        return (line, version, served is not null);
    }

    private static async Task<List<string>> Score(CohortlyApiClient http, ReplayData data, ParityScorer scorer, TrainingOptions options, DateTimeOffset? trainingNow, int concurrency, long? version, string? diffOut, CancellationToken cancellationToken)
    {
        var users = scorer.Users.ToArray();
        var answers = new RecommendationsAnswer?[users.Length];
        var latencies = new double[users.Length];
        var errors = 0;
        string? firstError = null;
        for (var i = 0; i < Math.Min(20, users.Length); i++)
        {
            // Warm-up (connections, JIT, grain activation of a few users); not measured.
            await http.RecommendAsync(scorer.UserId(users[i]), K, explore: false, cancellationToken);
        }

        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, users.Length), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (x, ct) =>
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                answers[x] = await http.RecommendAsync(scorer.UserId(users[x]), K, explore: false, ct);
            }
            catch (HttpRequestException e)
            {
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, e.Message, null);
            }

            latencies[x] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        });
        var scoringSeconds = watch.Elapsed.TotalSeconds;
        var onlineLists = Array.ConvertAll(answers, r => r?.Items);
        var online = scorer.Score(onlineLists);
        int wrongVersion = 0, fallback = 0;
        var strategies = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in answers)
        {
            if (r is null)
            {
                continue;
            }

            wrongVersion += version is { } v && r.ModelVersion != v ? 1 : 0;
            fallback += r.Fallback ? 1 : 0;
            var name = r.Strategy ?? "?";
            strategies[name] = strategies.GetValueOrDefault(name) + 1;
        }

        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"online:  ndcg@{K} {online.Ndcg:F4}  recall@{K} {online.Recall:F4}  over {online.Users} test users (GET recommendations count={K} explore=false, {concurrency} concurrent, {users.Length / scoringSeconds:F0} req/s); errors {errors}; wrong model version {wrongVersion}; fallback {fallback}; short lists {online.ShortLists}; already-rated items in lists {online.KnownItems}; ids outside the catalog {online.UnknownItems}; strategies {string.Join(", ", strategies.Select(p => $"{p.Key}={p.Value}"))}"),
            $"latency: {BenchReport.Percentiles(latencies)} (scoring GETs, client-side, loopback)",
        };
        if (firstError is not null)
        {
            lines.Add($"         first error: {firstError}");
        }

        Console.Error.WriteLine(lines[0]);
        Console.Error.WriteLine("offline: training in-process on the replayed events…");
        var shown = "";
        var gate = new Lock();
        var offline = OfflineParity.Run(data, scorer, options, trainingNow, new SyncProgress(p =>
        {
            var text = $"  offline training: {p.Stage} {p.Fraction * 100:F0}%";
            lock (gate)
            {
                if (text != shown)
                {
                    Console.Error.WriteLine(text);
                    shown = text;
                }
            }
        }), cancellationToken);

        var off = scorer.Score(offline.Lists);
        var check = scorer.EvaluatorScore(offline.Lists);
        var checkText = check is null ? "evaluator cross-check skipped (ids outside the catalog)"
            : Math.Abs(check.Ndcg - off.Ndcg) < 1e-9 && Math.Abs(check.Recall - off.Recall) < 1e-9 ? "equal to RankingEvaluator.EvaluateLists"
            : string.Create(CultureInfo.InvariantCulture, $"MISMATCH with RankingEvaluator.EvaluateLists ndcg {check.Ndcg:F6}");
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"offline: ndcg@{K} {off.Ndcg:F4}  recall@{K} {off.Recall:F4}  over {off.Users} test users (TrainingPipeline.Run + RecommendationPipeline.Recommend in-process, PositiveRating {options.PositiveRating:G}, training now = {(trainingNow is null ? "last event" : "wall clock")}, Explore=false; {checkText}); train {offline.TrainSeconds:F1}s, serve {offline.ServeSeconds:F1}s; fallback {offline.FallbackUsers}; already-rated items in lists {off.KnownItems}; short lists {off.ShortLists}; cohorts {offline.Summary.Cohorts}, holdout ndcg global {offline.Summary.HoldoutNdcgGlobal:F4} / cohort {offline.Summary.HoldoutNdcgCohort:F4}"));
        lines.Add($"tuning:  {TuningLine(offline.Tuning)}");

        double overlap = 0;
        int identical = 0, cohortPairs = 0, cohortSame = 0;
        for (var x = 0; x < users.Length; x++)
        {
            var a = onlineLists[x] ?? [];
            var b = offline.Lists[x] ?? [];
            var common = 0;
            foreach (var item in a)
            {
                common += b.Contains(item) ? 1 : 0;
            }

            overlap += common / (double)K;
            identical += a.SequenceEqual(b) ? 1 : 0;
            if (answers[x]?.CohortId is { } onlineCohort && offline.Cohorts[x] is { } offlineCohort)
            {
                cohortPairs++;
                cohortSame += onlineCohort == offlineCohort ? 1 : 0;
            }
        }

        var ratio = off.Ndcg > 0 ? online.Ndcg / off.Ndcg : double.NaN;
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"parity:  online/offline ndcg@{K} = {ratio:F3} (goal ≥ 0.95: {(ratio >= 0.95 ? "met" : "NOT met")}); recall ratio {(off.Recall > 0 ? online.Recall / off.Recall : double.NaN):F3}; mean top-{K} overlap {overlap / Math.Max(1, users.Length):F3}; identical lists {identical}/{users.Length}; same cohort {cohortSame}/{cohortPairs}"));
        lines.Add("         " + ReplayDiff.Agreement(answers, offline));
        if (diffOut is not null)
        {
            await ReplayDiff.Write(diffOut, http, scorer, users, answers, offline, cancellationToken);
            lines.Add($"         differing users written to {diffOut}");
        }

        foreach (var l in lines[^2..])
        {
            Console.Error.WriteLine(l);
        }

        return lines;
    }

    private static string Fmt(JsonNode? node, string format) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString(format, CultureInfo.InvariantCulture) : "?";

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
