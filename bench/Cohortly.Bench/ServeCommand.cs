using System.Diagnostics;
using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Bench;

/// <summary>
/// Cost of the serving pipeline alone, in-process on one thread: no HTTP, no Orleans. Usage:
/// serve [--users 20000] [--items 10000] [--requests 20000] [--fresh 0.5] [--count 10] [--explain] [--seed 1] [--ranker]
/// (--ranker: also the same requests with the learned ranker on vs off, see ServeRankerComparison)
/// Populates the world as the load bench does (one short session of at most 5 events per user), trains with the
/// server's default options, then serves random users: a share (--fresh) has one event newer than the model, so
/// it is folded in; the rest are scored from their trained vector. Reports time and allocation per request.
/// </summary>
internal static class ServeCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        var a = new BenchArgs(args);
        var users = a.GetInt("users", 20_000);
        var items = a.GetInt("items", 10_000);
        var requests = a.GetInt("requests", 20_000);
        var fresh = a.GetDouble("fresh", 0.5);
        var count = a.GetInt("count", 10);
        var seed = a.GetInt("seed", 1);
        var explain = a.Has("explain");
        if (users <= 0 || items <= 0 || requests <= 0 || fresh is < 0 or > 1)
        {
            Console.Error.WriteLine("serve: --users, --items and --requests must be positive and --fresh within 0..1");
            return Task.FromResult(2);
        }

        Console.WriteLine($"# cohortly serve: {users} users, {items} items, {requests} requests (fresh share {fresh.ToString(CultureInfo.InvariantCulture)}), count={count}{(explain ? ", explain" : "")}; {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = users, Items = items, Categories = 20, UserPrefix = "load-" }, seed);
        var now = DateTimeOffset.UtcNow;
        var rng = new Random(seed + 2);
        var recent = new Dictionary<string, List<RecentItem>>(users, StringComparer.Ordinal);
        var interactions = new List<Interaction>(users * 5);
        foreach (var user in world.Users)
        {
            var list = new List<RecentItem>(6);
            foreach (var e in world.Session(user, now.AddMinutes(-rng.Next(10_000)), rng).Take(5))
            {
                interactions.Add(e.ToInteraction());
                list.Add(new RecentItem(e.ItemId, e.Type, e.Timestamp.ToUnixTimeMilliseconds(), (float)(e.Value ?? 0)));
            }

            recent[user.Id] = list;
        }

        var catalog = new List<ItemInfo>(world.Items.Count);
        var available = new Dictionary<string, bool>(world.Items.Count, StringComparer.Ordinal);
        foreach (var item in world.Items)
        {
            catalog.Add(new ItemInfo(item.Id, [item.Category], item.Price));
            available[item.Id] = true;
        }

        var watch = Stopwatch.StartNew();
        var defaults = new TrainingOptions();
        // --ease-weight X puts the EASE signal in the served blend at that weight (tuning off, so it stays), to price
        // the third signal against the same command with 0.
        var easeWeight = a.GetDouble("ease-weight", -1);
        var options = easeWeight < 0 ? defaults : defaults with
        {
            EaseWeight = (float)easeWeight,
            EaseNeighbors = a.GetInt("ease-neighbors", defaults.EaseNeighbors),
            Tuning = new TrainingTuningOptions { Enabled = false },
        };
        var bundle = TrainingPipeline.Run(new TrainingInput(interactions, catalog, [], null, 1, now), options, null, CancellationToken.None);
        RecommendationPipeline.Prepare(bundle);
        Console.WriteLine($"trained {interactions.Count} events in {watch.Elapsed.TotalSeconds:F1} s: {bundle.Segmentation.CohortIds.Count} cohorts, {bundle.ItemIds.Count} items; signals {string.Join(", ", bundle.Scorer.Signals.Select(s => $"{s.Name} {s.GlobalWeight}"))}");

        var cohortOf = CohortsOf(bundle, world);
        var unavailable = new bool[bundle.ItemIds.Count];
        var requestsToServe = new ServingRequest[requests];
        for (var r = 0; r < requests; r++)
        {
            var user = world.Users[rng.Next(world.Users.Count)];
            IReadOnlyList<RecentItem> history = recent[user.Id];
            if (rng.NextDouble() < fresh)
            {
                // One event after training: the user is folded in from their items instead of their trained vector.
                var extra = world.Items[rng.Next(world.Items.Count)].Id;
                history = [.. history, new RecentItem(extra, InteractionType.View, now.ToUnixTimeMilliseconds(), 0)];
            }

            requestsToServe[r] = new ServingRequest
            {
                UserId = user.Id,
                CohortId = cohortOf.GetValueOrDefault(user.Id),
                RecentItems = history,
                Excluded = System.Collections.Frozen.FrozenSet<string>.Empty,
                IsAvailable = id => available.GetValueOrDefault(id, true),
                // As the user grain serves: the catalog's per-bundle flags, a flag read per candidate (CatalogCache.UnavailableIn).
                UnavailableItems = unavailable,
                Now = now,
                Count = count,
                Explain = explain,
                Seed = r,
            };
        }

        // Warm-up: tiered JIT reaches its optimized code before the measured requests.
        for (var r = 0; r < Math.Min(requests, 2_000); r++)
        {
            RecommendationPipeline.Recommend(bundle, requestsToServe[r]);
        }

        var micros = new double[requests];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var gcBefore = GC.CollectionCount(0);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var total = Stopwatch.StartNew();
        for (var r = 0; r < requests; r++)
        {
            var start = Stopwatch.GetTimestamp();
            RecommendationPipeline.Recommend(bundle, requestsToServe[r]);
            micros[r] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        var elapsed = total.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Array.Sort(micros);
        string P(double q) => micros[Math.Min(micros.Length - 1, (int)Math.Ceiling(q * micros.Length) - 1)].ToString("F1", CultureInfo.InvariantCulture);
        Console.WriteLine($"serve: {requests} requests on one thread in {elapsed.TotalSeconds:F2} s = {elapsed.TotalMicroseconds / requests:F1} µs/request mean ({cpu.TotalMicroseconds / requests:F1} µs CPU); p50 {P(0.5)} µs, p90 {P(0.9)} µs, p99 {P(0.99)} µs; {allocated / (double)requests:F0} bytes allocated/request; {GC.CollectionCount(0) - gcBefore} gen0 collections");
        if (a.Has("ranker"))
        {
            ServeRankerComparison.Run(bundle, requestsToServe, interactions, catalog, now);
        }

        return Task.FromResult(0);
    }

    /// <summary>Each user's cohort as training assigned it (the grain would hold the same after its next event).</summary>
    private static Dictionary<string, int?> CohortsOf(ModelBundle bundle, SyntheticWorld world)
    {
        var result = new Dictionary<string, int?>(world.Users.Count, StringComparer.Ordinal);
        foreach (var user in world.Users)
        {
            result[user.Id] = bundle.TrainedCohortOf(user.Id);
        }

        return result;
    }
}
