using System.Runtime.CompilerServices;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// New-item injection: live-trending items the bundle does not know yet (newer than the model) join the pool just
/// below its weakest candidate, at most half the requested count, so new items can surface (through exploration).
/// </summary>
internal static class NewItemStage
{
    /// <summary>A new item (unknown to the bundle) enters the pool this far below the weakest scored candidate.</summary>
    private const double NewItemMargin = 0.01;

    /// <summary>Per live trending list: which of its entries the bundle does not know (see <see cref="UnknownRanks"/>).</summary>
    private static readonly ConditionalWeakTable<IReadOnlyList<TrendingItem>, UnknownTrendingItems> UnknownTrending = new();

    public static void AddNewItems(ModelBundle bundle, ServingRequest request, List<ServingCandidate> pool, int count)
    {
        var budget = Math.Max(1, count / 2);
        var floor = pool.Count > 0 ? pool[^1].Relevance : 0;
        var added = 0;
        HashSet<string>? seen = null;
        foreach (var list in (ReadOnlySpan<IReadOnlyList<TrendingItem>>)[request.CohortTrending, request.GlobalTrending])
        {
            var unknown = UnknownRanks(bundle, list);
            for (var u = 0; u < unknown.Length && added < budget; u++)
            {
                var id = list[unknown[u]].ItemId;
                if (request.Excluded.Contains(id) || !(seen ??= new(StringComparer.Ordinal)).Add(id))
                {
                    continue;
                }

                var categories = request.CategoriesOf?.Invoke(id);
                if ((request.IsAvailable is null || request.IsAvailable(id)) && FilterStage.PassesCategories(request, categories))
                {
                    added++;
                    var c = new ServingCandidate(-1, id, floor - (NewItemMargin * added), pool.Count)
                    {
                        Category = categories is { Count: > 0 } ? categories[0] : null,
                    };
                    pool.Add(c);
                }
            }
        }
    }

    /// <summary>
    /// Ranks (ascending) of the trending entries the bundle does not know. Every request of a cohort sees the same
    /// trending list instance until the next snapshot, and nearly all of its items are known to the model, so the
    /// answer is kept per list (and bundle) instead of one id lookup per entry and request.
    /// </summary>
    internal static int[] UnknownRanks(ModelBundle bundle, IReadOnlyList<TrendingItem> list)
    {
        if (list.Count == 0)
        {
            return [];
        }

        if (UnknownTrending.TryGetValue(list, out var cached) && ReferenceEquals(cached.Bundle, bundle))
        {
            return cached.Ranks;
        }

        var ranks = new List<int>();
        for (var r = 0; r < list.Count; r++)
        {
            if (bundle.ItemIndex(list[r].ItemId) is null)
            {
                ranks.Add(r);
            }
        }

        var entry = new UnknownTrendingItems(bundle, [.. ranks]);
        UnknownTrending.AddOrUpdate(list, entry);
        return entry.Ranks;
    }

    private sealed record UnknownTrendingItems(ModelBundle Bundle, int[] Ranks);
}
