using System.Diagnostics;
using System.Globalization;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Bench;

/// <summary>
/// What a context key adds, offline, on the data set that has one: the synthetic world with a planted referrer
/// preference (<see cref="PlantedContext"/>). Trains the real pipeline on a history, then serves every user of a set
/// of later sessions with and without the session's referrer (device and hour always) and scores each top-k against
/// the items the session went on to use (hit rate and NDCG@k, over all sessions and per referrer value).
/// Usage: evaluate --synthetic-context [--users N] [--items N] [--days N] [--sessions N] [--k N] [--seed N]
/// </summary>
internal static class ContextEvaluation
{
    public static int Run(BenchArgs a)
    {
        var seed = a.GetInt("seed", 2024);
        var k = a.GetInt("k", 10);
        var plant = new PlantedContext();
        var world = SyntheticWorld.Create(
            new SyntheticWorldOptions { Users = a.GetInt("users", 1500), Items = a.GetInt("items", 800), Categories = 8, Context = plant },
            seed);
        var end = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        var history = world.History(end, a.GetInt("days", 30), new Random(seed + 1));
        var catalog = world.Items.Select(i => new ItemInfo(i.Id, [i.Category], i.Price)).ToList();
        var bundle = TrainingPipeline.Run(new TrainingInput([.. history.Select(e => e.ToInteraction())], catalog, [], null, 1, end), new TrainingOptions { Seed = seed });
        Console.Error.WriteLine($"trained on {history.Count} events ({world.Users.Count} users, {world.Items.Count} items) in {watch.Elapsed.TotalSeconds:F1}s; context keys learned: {string.Join(", ", bundle.Context.Keys)}");

        var rng = new Random(seed + 2);
        var policy = new ServingPolicy(NoExploration.Instance, 1, 0);
        var results = new Dictionary<(string Value, bool WithKey), (double Hits, double Ndcg, int N)>();
        var sessions = a.GetInt("sessions", 3000);
        for (var s = 0; s < sessions; s++)
        {
            var user = world.PickActiveUser(rng);
            var start = end.AddHours(1 + rng.Next(24 * 7));
            var events = world.Session(user, start, rng);
            var used = events.Where(e => e.Type != Contracts.InteractionType.Dismiss).Select(e => e.ItemId).ToHashSet(StringComparer.Ordinal);
            var value = events[0].Context![plant.Key];
            foreach (var withKey in new[] { false, true })
            {
                var request = new ServingRequest
                {
                    UserId = user.Id,
                    Now = start,
                    Count = k,
                    Explore = false,
                    Policy = policy,
                    Device = user.Device,
                    Context = withKey ? events[0].Context : null,
                };
                var items = RecommendationPipeline.Recommend(bundle, request).Items;
                double hits = 0, dcg = 0, ideal = 0;
                for (var p = 0; p < items.Count; p++)
                {
                    if (used.Contains(items[p].ItemId))
                    {
                        hits = 1;
                        dcg += 1 / Math.Log2(p + 2);
                    }
                }

                for (var p = 0; p < Math.Min(k, used.Count); p++)
                {
                    ideal += 1 / Math.Log2(p + 2);
                }

                foreach (var key in new[] { (value, withKey), ("all", withKey) })
                {
                    var (h, n, c) = results.GetValueOrDefault(key);
                    results[key] = (h + hits, n + (ideal > 0 ? dcg / ideal : 0), c + 1);
                }
            }
        }

        Console.WriteLine($"context evaluation: synthetic world, planted {plant.Key}={plant.Value} → category {world.Categories[plant.Category]} (strength {plant.Strength.ToString(CultureInfo.InvariantCulture)}), {sessions} later sessions, k={k}, seed {seed}");
        Console.WriteLine($"| {plant.Key} | sessions | HR@{k} device+hour | HR@{k} +{plant.Key} | NDCG@{k} device+hour | NDCG@{k} +{plant.Key} |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var value in plant.Values.Append("all"))
        {
            var without = results.GetValueOrDefault((value, false));
            var with = results.GetValueOrDefault((value, true));
            if (without.N == 0)
            {
                continue;
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {value} | {without.N} | {without.Hits / without.N:F4} | {with.Hits / with.N:F4} | {without.Ndcg / without.N:F4} | {with.Ndcg / with.N:F4} |"));
        }

        return 0;
    }
}
