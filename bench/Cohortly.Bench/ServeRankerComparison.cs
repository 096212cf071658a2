using System.Diagnostics;
using System.Globalization;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Bench;

/// <summary>
/// <c>serve --ranker</c>: the same requests served with the learned ranker switched on for every cohort
/// (<see cref="ServingRequest.UseRanker"/> = true, the live profile's features attached as the user grain attaches
/// them) and off (blend only), in alternating blocks on one thread so both see the same machine state; reports both
/// means and their ratio.
/// </summary>
internal static class ServeRankerComparison
{
    private const int Blocks = 8;

    public static void Run(ModelBundle bundle, ServingRequest[] requests, IReadOnlyList<Interaction> interactions, IReadOnlyList<ItemInfo> catalog, DateTimeOffset now)
    {
        if (bundle.Ranker?.Model is null)
        {
            Console.WriteLine($"serve --ranker: the version has no ranker ({bundle.Ranker?.Reason ?? "not trained"})");
            return;
        }

        var items = new Dictionary<string, ItemInfo>(catalog.Count, StringComparer.Ordinal);
        foreach (var item in catalog)
        {
            items[item.Id] = item;
        }

        var profiles = new Dictionary<string, UserProfile>(StringComparer.Ordinal);
        foreach (var e in interactions)
        {
            if (!profiles.TryGetValue(e.UserId, out var profile))
            {
                profiles[e.UserId] = profile = new UserProfile();
            }

            profile.Apply(e, items.GetValueOrDefault(e.ItemId) ?? new ItemInfo(e.ItemId, [], null), ProfileOptions.Default);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var on = new ServingRequest[requests.Length];
        var off = new ServingRequest[requests.Length];
        for (var r = 0; r < requests.Length; r++)
        {
            var features = profiles.TryGetValue(requests[r].UserId, out var p) ? ProfileFeatures.Extract(p, nowMs) : null;
            on[r] = requests[r] with { UseRanker = true, ProfileFeatures = features };
            off[r] = requests[r] with { UseRanker = false, ProfileFeatures = features };
        }

        for (var r = 0; r < Math.Min(requests.Length, 2_000); r++)
        {
            RecommendationPipeline.Recommend(bundle, on[r]);
            RecommendationPipeline.Recommend(bundle, off[r]);
        }

        var n = requests.Length;
        var onTimes = new double[n];
        var offTimes = new double[n];
        var ranked = 0;
        var block = Math.Max(1, n / Blocks);
        for (var start = 0; start < n; start += block)
        {
            var end = Math.Min(n, start + block);
            for (var r = start; r < end; r++)
            {
                var t = Stopwatch.GetTimestamp();
                RecommendationPipeline.Recommend(bundle, off[r]);
                offTimes[r] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
            }

            for (var r = start; r < end; r++)
            {
                var t = Stopwatch.GetTimestamp();
                ranked += RecommendationPipeline.Recommend(bundle, on[r]).Ranker ? 1 : 0;
                onTimes[r] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
            }
        }

        var onMean = onTimes.Average();
        var offMean = offTimes.Average();
        Array.Sort(onTimes);
        Array.Sort(offTimes);
        var onP50 = onTimes[n / 2];
        var offP50 = offTimes[n / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"serve --ranker ({bundle.Ranker.Candidates} candidates, {bundle.Ranker.Model.TreeCount} trees; {ranked} of {n} requests ranked; alternating blocks, one thread): blend only mean {offMean:F1} µs, p50 {offP50:F1} µs; with the ranker mean {onMean:F1} µs, p50 {onP50:F1} µs; ratio mean {onMean / offMean:F2}, p50 {onP50 / offP50:F2}"));
    }
}
