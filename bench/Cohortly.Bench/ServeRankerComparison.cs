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

        double onMicros = 0, offMicros = 0;
        var ranked = 0;
        var block = Math.Max(1, requests.Length / Blocks);
        for (var start = 0; start < requests.Length; start += block)
        {
            var end = Math.Min(requests.Length, start + block);
            var watch = Stopwatch.StartNew();
            for (var r = start; r < end; r++)
            {
                RecommendationPipeline.Recommend(bundle, off[r]);
            }

            offMicros += watch.Elapsed.TotalMicroseconds;
            watch.Restart();
            for (var r = start; r < end; r++)
            {
                ranked += RecommendationPipeline.Recommend(bundle, on[r]).Ranker ? 1 : 0;
            }

            onMicros += watch.Elapsed.TotalMicroseconds;
        }

        var n = requests.Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"serve --ranker: blend only {offMicros / n:F1} µs/request, with the ranker ({bundle.Ranker.Candidates} candidates, {bundle.Ranker.Model.TreeCount} trees; {ranked} of {n} requests ranked) {onMicros / n:F1} µs/request; ratio {onMicros / offMicros:F2} (alternating blocks, one thread)"));
    }
}
