using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cohortly.Integration.Tests;

/// <summary>One event of the drill: distinct id, a user, and a type the profile counts under its wire name.</summary>
internal sealed record DrillEvent(string EventId, string UserId, string ItemId, string Type);

/// <summary>What the ingest saw: batches by outcome, and every event's acknowledgement.</summary>
internal sealed class IngestTally
{
    private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);

    public void Count(string outcome) => _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    public int Batches(string outcome) => _outcomes.GetValueOrDefault(outcome);

    /// <summary>Batches answered with something else than 202: refused or unanswered (their events were sent again).</summary>
    public int Failed => _outcomes.Where(kv => kv.Key != "202").Sum(kv => kv.Value);

    public override string ToString() => string.Join(", ", _outcomes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}"));
}

/// <summary>Lost and doubled events after the cluster settled, counted per user and event type.</summary>
internal sealed record DrillOutcome(int Acknowledged, long Lost, long Doubled, int UsersShort, int UsersOver, TimeSpan? Converged, string Examples)
{
    public override string ToString() =>
        $"acknowledged {Acknowledged}, lost {Lost} (in {UsersShort} users), applied twice {Doubled} (in {UsersOver} users), "
        + (Converged is { } c ? $"every profile exact {c.TotalSeconds:F1} s after the fault" : "profiles never all exact within the wait")
        + (Examples.Length > 0 ? $"; e.g. {Examples}" : "");
}

/// <summary>
/// Steady ingest of a known set of distinct events into a <see cref="LocalCluster"/> while something is killed, with
/// the bookkeeping of a careful client: an event counts as acknowledged only when a 202 says it was accepted; a batch
/// answered otherwise or not answered at all is sent again after a second (so some ids arrive twice: the cluster
/// must count them once). Then it waits until every profile holds exactly its acknowledged events.
/// </summary>
internal sealed class CrashDrill(LocalCluster cluster, Action<string> log)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public static IReadOnlyList<DrillEvent> Events(string prefix, int users, int perUser, int seed)
    {
        string[] types = ["view", "click", "add_to_cart"];
        var rng = new Random(seed);
        var events = new List<DrillEvent>(users * perUser);
        for (var u = 0; u < users; u++)
        {
            for (var e = 0; e < perUser; e++)
            {
                events.Add(new DrillEvent($"{prefix}-u{u}-e{e}", $"{prefix}-u{u}", $"sku-{rng.Next(200)}", types[rng.Next(types.Length)]));
            }
        }

        // Batches mix users, as a real event feed does, so every batch touches most partitions.
        rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        return events;
    }

    public void Phase(string what) => log($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");

    /// <summary>
    /// Sends <paramref name="events"/> in batches of <paramref name="batchSize"/>, one batch every <paramref name="pace"/>
    /// (at most 8 in flight), runs <paramref name="fault"/> when batch <paramref name="faultAtBatch"/> is due, then
    /// resends whatever was not acknowledged until all of it is, bounded by <paramref name="retryBudget"/>.
    /// Returns when every event is acknowledged; fails the test when that takes longer than the budget.
    /// </summary>
    public async Task<IngestTally> IngestAsync(HttpClient http, IReadOnlyList<DrillEvent> events, int batchSize, TimeSpan pace, int faultAtBatch, Func<IngestTally, Task> fault, TimeSpan retryBudget)
    {
        var tally = new IngestTally();
        var acked = new bool[events.Count];
        var retry = new ConcurrentQueue<(int[] Indices, long FailedAt)>();
        using var inFlight = new SemaphoreSlim(8);
        var sends = new List<Task>();
        var batches = Enumerable.Range(0, (events.Count + batchSize - 1) / batchSize)
            .Select(b => Enumerable.Range(b * batchSize, Math.Min(batchSize, events.Count - (b * batchSize))).ToArray()).ToList();
        Task? faultTask = null;
        var start = Stopwatch.GetTimestamp();
        var tick = 0;
        var retryDeadline = TimeSpan.MaxValue;
        while (true)
        {
            // Pacing, not waiting for a condition: one batch per tick is the steady feed.
            var due = TimeSpan.FromTicks(pace.Ticks * tick) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            if (tick == faultAtBatch)
            {
                faultTask = fault(tally);
            }

            if (tick < batches.Count)
            {
                sends.Add(Send(batches[tick]));
            }
            else if (retryDeadline == TimeSpan.MaxValue)
            {
                retryDeadline = Stopwatch.GetElapsedTime(start) + retryBudget;
                Phase($"all {batches.Count} batches sent once; {tally}");
            }

            // A failed batch goes again once a second has passed (the Retry-After the gateway sends with a 503).
            if (retry.TryPeek(out var failed) && Stopwatch.GetElapsedTime(failed.FailedAt) > TimeSpan.FromSeconds(1) && retry.TryDequeue(out failed))
            {
                sends.Add(Send(failed.Indices));
            }

            tick++;
            if (tick >= batches.Count && (faultTask?.IsCompleted ?? true) && sends.All(t => t.IsCompleted) && retry.IsEmpty)
            {
                break;
            }

            if (Stopwatch.GetElapsedTime(start) > retryDeadline)
            {
                Assert.Fail($"ingest did not recover: {acked.Count(a => !a)} of {events.Count} events still unacknowledged {retryBudget.TotalSeconds:F0} s after the last batch; {tally}\n{cluster.Diagnostics()}");
            }
        }

        await Task.WhenAll(sends);
        await faultTask!;
        Assert.All(acked, Assert.True);
        return tally;

        async Task Send(int[] indices)
        {
            await inFlight.WaitAsync();
            try
            {
                var (notAccepted, outcome) = await Post(http, events, indices);
                lock (acked)
                {
                    foreach (var i in indices)
                    {
                        acked[i] |= !notAccepted.Contains(i);
                    }
                }

                tally.Count(notAccepted.Count > 0 && notAccepted.Count < indices.Length ? "202 partial" : outcome);
                if (notAccepted.Count > 0)
                {
                    retry.Enqueue(([.. notAccepted], Stopwatch.GetTimestamp()));
                }
            }
            finally
            {
                inFlight.Release();
            }
        }
    }

    /// <summary>
    /// POST one batch; returns the indices the gateway did not accept (all of them when it did not answer 202) and
    /// the outcome ("202", the status code, or "no answer").
    /// </summary>
    private static async Task<(HashSet<int> NotAccepted, string Outcome)> Post(HttpClient http, IReadOnlyList<DrillEvent> events, int[] indices)
    {
        var array = new JsonArray();
        foreach (var i in indices)
        {
            var e = events[i];
            array.Add(new JsonObject { ["eventId"] = e.EventId, ["userId"] = e.UserId, ["itemId"] = e.ItemId, ["type"] = e.Type });
        }

        try
        {
            using var content = new StringContent(new JsonObject { ["events"] = array }.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("/v1/events", content);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return ([.. indices], ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            }

            var rejected = new HashSet<int>();
            foreach (var error in JsonNode.Parse(text)!["errors"]?.AsArray() ?? [])
            {
                rejected.Add(indices[error!["index"]!.GetValue<int>()]);
            }

            return (rejected, "202");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or JsonException)
        {
            // No answer: the events may or may not be stored; a client can only send them again.
            return ([.. indices], "no answer");
        }
    }

    /// <summary>Resends batches that were already acknowledged: each id must still count once.</summary>
    public async Task ResendAsync(HttpClient http, IReadOnlyList<DrillEvent> events, int batchSize, int batches)
    {
        for (var b = 0; b < batches; b++)
        {
            var indices = Enumerable.Range(b * batchSize, batchSize).ToArray();
            var (notAccepted, outcome) = await Post(http, events, indices);
            Assert.True(notAccepted.Count == 0, $"a resent batch was not accepted ({outcome})\n{cluster.Diagnostics()}");
        }
    }

    /// <summary>
    /// Polls profiles until every user's counts per type equal its acknowledged events, or until
    /// <paramref name="deadline"/> (measured from <paramref name="faultAt"/>); then one final sweep of every user.
    /// </summary>
    public async Task<DrillOutcome> SettleAsync(HttpClient http, IReadOnlyList<DrillEvent> events, long faultAt, TimeSpan deadline)
    {
        var expected = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            var counts = expected.TryGetValue(e.UserId, out var c) ? c : expected[e.UserId] = new Dictionary<string, long>(StringComparer.Ordinal);
            counts[e.Type] = counts.GetValueOrDefault(e.Type) + 1;
        }

        var pending = new HashSet<string>(expected.Keys, StringComparer.Ordinal);
        TimeSpan? converged = null;
        var lastReport = TimeSpan.Zero;
        while (true)
        {
            var settled = await ExactUsers(http, pending, expected);
            pending.ExceptWith(settled);
            var sinceFault = Stopwatch.GetElapsedTime(faultAt);
            if (pending.Count == 0)
            {
                converged = sinceFault;
                break;
            }

            if (sinceFault > deadline)
            {
                break;
            }

            if (sinceFault - lastReport > TimeSpan.FromSeconds(5))
            {
                Phase($"{pending.Count} of {expected.Count} profiles not exact yet");
                lastReport = sinceFault;
            }

            await Task.Delay(250);
        }

        // Final sweep of everyone: a profile exact earlier may have applied a repeat since.
        long lost = 0, doubled = 0;
        int usersShort = 0, usersOver = 0;
        var examples = new List<string>();
        foreach (var (user, counts) in expected)
        {
            Dictionary<string, long> actual;
            try
            {
                actual = await Profile(http, user);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Assert.Fail($"GET /v1/users/{user} failed after the wait: {e.Message}\n{cluster.Diagnostics()}");
                throw;
            }

            long userLost = 0, userDoubled = 0;
            foreach (var type in counts.Keys.Union(actual.Keys))
            {
                var diff = actual.GetValueOrDefault(type) - counts.GetValueOrDefault(type);
                userLost += Math.Max(0, -diff);
                userDoubled += Math.Max(0, diff);
            }

            lost += userLost;
            doubled += userDoubled;
            usersShort += userLost > 0 ? 1 : 0;
            usersOver += userDoubled > 0 ? 1 : 0;
            if ((userLost > 0 || userDoubled > 0) && examples.Count < 5)
            {
                examples.Add($"{user}: expected {Format(counts)}, profile {Format(actual)}");
            }
        }

        return new DrillOutcome(events.Count, lost, doubled, usersShort, usersOver, lost == 0 && doubled == 0 ? converged : null, string.Join("; ", examples));

        static string Format(Dictionary<string, long> counts) => "{" + string.Join(", ", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) + "}";
    }

    private static async Task<List<string>> ExactUsers(HttpClient http, IEnumerable<string> users, Dictionary<string, Dictionary<string, long>> expected)
    {
        var exact = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) =>
        {
            try
            {
                var actual = await Profile(http, user);
                var counts = expected[user];
                if (actual.Count == counts.Count && counts.All(kv => actual.GetValueOrDefault(kv.Key) == kv.Value))
                {
                    exact.Add(user);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not served right now (its silo just died): not exact yet.
            }
        });
        return [.. exact];
    }

    /// <summary>Applied events of a user by type (empty when the user is unknown).</summary>
    private static async Task<Dictionary<string, long>> Profile(HttpClient http, string user)
    {
        using var response = await http.GetAsync($"/v1/users/{user}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        response.EnsureSuccessStatusCode();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (type, value) in JsonNode.Parse(await response.Content.ReadAsStringAsync())!["counts"]!.AsObject())
        {
            if (value!.GetValue<long>() != 0)
            {
                counts[type] = value.GetValue<long>();
            }
        }

        return counts;
    }
}
