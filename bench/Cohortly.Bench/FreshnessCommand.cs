using System.Diagnostics;
using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Events;

namespace Cohortly.Bench;

/// <summary>
/// Freshness: how long after an event is sent the user's recommendations reflect it. For sampled users with history,
/// take the top recommendation X, send a purchase (or dismiss) of X, and poll recommendations until X is gone; the
/// time from the send to the first answer without X is one sample. One sample at a time, bounded in count and time,
/// loopback only. Usage:
/// freshness --url URL --key KEY [--admin-key KEY] [--users 50] [--samples 200] [--type purchase|dismiss] [--timeout-ms 5000]
///           [--poll-ms 2] [--max-seconds 300] [--seed 7] [--train [--train-timeout 600] [--serve-timeout 60]]
///           (--seed-users [--items 2000] | --user-range FIRST..LAST | --user-ids a,b,c)
/// --seed-users creates --users synthetic users (one session each; with --admin-key also their --items catalog items)
/// and waits until their profiles exist; --train (needs --admin-key) trains a model first and waits until it serves;
/// --user-range picks users already known to the server by numeric id (e.g. 1..943 after a MovieLens-100K replay).
/// </summary>
internal static class FreshnessCommand
{
    public static Task<int> RunAsync(string[] args) => HttpBenchRunner.RunAsync("freshness", args, Run);

    private static async Task<int> Run(BenchArgs a, string[] rawArgs, CancellationToken cancellationToken)
    {
        var userCount = a.GetInt("users", 50);
        var samples = a.GetInt("samples", 200);
        var timeout = TimeSpan.FromMilliseconds(a.GetInt("timeout-ms", 5000));
        var poll = TimeSpan.FromMilliseconds(a.GetInt("poll-ms", 2));
        var budget = TimeSpan.FromSeconds(a.GetInt("max-seconds", 300));
        var seed = a.GetInt("seed", 7);
        var typeName = a.Get("type") ?? "purchase";
        if (!InteractionTypes.TryParse(typeName, out var type) || type is not (InteractionType.Purchase or InteractionType.Dismiss))
        {
            throw new ArgumentException("--type must be purchase or dismiss");
        }

        if (userCount < 1 || samples < 1)
        {
            throw new ArgumentException("--users and --samples must be at least 1");
        }

        using var http = CohortlyApiClient.ForLoopback(a.Require("url"), a.Require("key"), a.Get("admin-key"), 2);
        var users = a.Has("seed-users")
            ? await SeedUsers(http, userCount, a.GetInt("items", 2000), seed, a.Get("admin-key") is not null, cancellationToken)
            : PickUsers(a, userCount, seed);
        string? trainLine = null;
        if (a.Has("train"))
        {
            // Measure the full model pipeline (fold-in, filters, ranking) rather than the pre-training popularity path.
            if (a.Get("admin-key") is null)
            {
                throw new ArgumentException("--train needs --admin-key");
            }

            (trainLine, var version, _) = await ReplayCommand.Train(http, users[0], TimeSpan.FromSeconds(a.GetInt("train-timeout", 600)), TimeSpan.FromSeconds(a.GetInt("serve-timeout", 60)), cancellationToken);
            if (version is null)
            {
                return 1;
            }
        }

        var runTag = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var freshness = new List<double>();
        var posts = new List<double>();
        int timeouts = 0, empty = 0, immediate = 0;
        long polls = 0;
        var total = Stopwatch.StartNew();
        var taken = 0;
        for (; taken < samples && total.Elapsed < budget; taken++)
        {
            var user = users[taken % users.Count];
            var before = await http.RecommendAsync(user, 10, explore: false, cancellationToken);
            if (before.Items.Count == 0)
            {
                empty++;
                continue;
            }

            var item = before.Items[0];
            var e = new Interaction(user, item, type, type == InteractionType.Purchase ? 1 : null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null);
            var start = Stopwatch.GetTimestamp();
            await http.PostEventsAsync(BenchPayloads.EventBody($"freshness-{runTag}-{taken}", e), 1, cancellationToken);
            posts.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            var first = true;
            while (true)
            {
                var answer = await http.RecommendAsync(user, 10, explore: false, cancellationToken);
                polls++;
                if (!answer.Items.Contains(item))
                {
                    freshness.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    immediate += first ? 1 : 0;
                    break;
                }

                if (Stopwatch.GetElapsedTime(start) > timeout)
                {
                    timeouts++;
                    break;
                }

                first = false;
                await Task.Delay(poll, cancellationToken);
            }
        }

        var measured = taken - empty;
        var strategies = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var user in users.Take(Math.Min(users.Count, 20)))
        {
            var strategy = (await http.RecommendAsync(user, 10, explore: false, cancellationToken)).Strategy ?? "?";
            strategies[strategy] = strategies.GetValueOrDefault(strategy) + 1;
        }

        Console.WriteLine();
        Console.WriteLine("```");
        Console.WriteLine("# cohortly freshness");
        Console.WriteLine($"command:   {BenchReport.Command("freshness", rawArgs)}");
        Console.WriteLine($"machine:   {BenchReport.Machine()}; client and server on the same machine (loopback)");
        Console.WriteLine($"date:      {BenchReport.Date()}");
        Console.WriteLine($"samples:   {measured} ({taken} taken in {total.Elapsed.TotalSeconds:F1}s over {users.Count} users; {empty} skipped with no recommendations); event {type.ToWireName()} of the top item, then GET recommendations (count=10, explore=false) every {poll.TotalMilliseconds:F0} ms until it is gone, timeout {timeout.TotalMilliseconds:F0} ms");
        if (trainLine is not null)
        {
            Console.WriteLine(trainLine);
        }

        Console.WriteLine($"serving:   strategies of {strategies.Values.Sum()} sampled users after the run: {string.Join(", ", strategies.Select(kv => $"{kv.Key}={kv.Value}"))}");
        Console.WriteLine($"freshness: {BenchReport.Percentiles(freshness)} from sending the event to the first answer without the item; timeouts {timeouts}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"detail:    gone at the first poll after the POST returned {immediate}/{freshness.Count}; mean polls per sample {polls / (double)Math.Max(1, measured):F1}; POST /v1/events (1 event) {BenchReport.Percentiles(posts)}"));
        Console.WriteLine("```");
        if (measured == 0)
        {
            Console.Error.WriteLine("freshness: FAILED: no sampled user had recommendations (are items in the catalog? --seed-users sends them when --admin-key is given)");
            return 1;
        }

        return timeouts > 0 ? 1 : 0;
    }

    private static List<string> PickUsers(BenchArgs a, int count, int seed)
    {
        List<string> pool;
        if (a.Get("user-ids") is { } ids)
        {
            pool = [.. ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }
        else if (a.Get("user-range") is { } range)
        {
            var parts = range.Split("..");
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var first) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var last) || last < first)
            {
                throw new ArgumentException("--user-range must look like 1..943");
            }

            pool = [];
            for (var u = first; u <= last; u++)
            {
                pool.Add(u.ToString(CultureInfo.InvariantCulture));
            }
        }
        else
        {
            throw new ArgumentException("give --seed-users, --user-range FIRST..LAST or --user-ids a,b,c");
        }

        new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pool));
        return pool.GetRange(0, Math.Min(count, pool.Count));
    }

    /// <summary>Synthetic users with one session each (older than now), waited for until their profiles hold it.</summary>
    private static async Task<List<string>> SeedUsers(CohortlyApiClient http, int count, int items, int seed, bool admin, CancellationToken cancellationToken)
    {
        var tag = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = count, Items = items, UserPrefix = $"fresh-{tag}-" }, seed);
        if (admin)
        {
            // The synthetic items must be in the catalog to be recommended (categories, availability).
            var catalog = new List<System.Text.Json.Nodes.JsonObject>(world.Items.Count);
            foreach (var item in world.Items)
            {
                catalog.Add(BenchPayloads.Item(item.Id, item.Title, [item.Category], item.Tags, item.Price));
            }

            await http.PutItemsAsync(catalog, cancellationToken);
        }

        var rng = new Random(seed);
        var now = DateTimeOffset.UtcNow;
        var events = new List<ReplayEvent>();
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var user in world.Users)
        {
            var session = world.Session(user, now.AddMinutes(-30 - rng.Next(600)), rng);
            foreach (var e in session.Count > 8 ? session.GetRange(0, 8) : session)
            {
                // Seeding must leave items to recommend: no purchase or dismiss yet.
                var interaction = e.ToInteraction();
                if (interaction.Type is InteractionType.Purchase or InteractionType.Dismiss)
                {
                    interaction = interaction with { Type = InteractionType.View, Value = null };
                }

                events.Add(new ReplayEvent($"{e.EventId}-{tag}", 0, interaction));
                expected[user.Id] = expected.GetValueOrDefault(user.Id) + 1;
            }
        }

        for (var start = 0; start < events.Count; start += 500)
        {
            var n = Math.Min(500, events.Count - start);
            await http.PostEventsAsync(BenchPayloads.EventBody(events, start, n), n, cancellationToken);
        }

        var watch = Stopwatch.StartNew();
        var pending = new List<string>(expected.Keys);
        while (pending.Count > 0)
        {
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                if (await http.ProfileEventsAsync(pending[i], cancellationToken) >= expected[pending[i]])
                {
                    pending.RemoveAt(i);
                }
            }

            if (pending.Count > 0)
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(120))
                {
                    throw new TimeoutException($"{pending.Count} seeded users had no complete profile after 120 s");
                }

                await Task.Delay(50, cancellationToken);
            }
        }

        Console.Error.WriteLine($"seeded {world.Users.Count} users with {events.Count} events; profiles complete after {watch.Elapsed.TotalSeconds:F1}s");
        return [.. expected.Keys];
    }
}
