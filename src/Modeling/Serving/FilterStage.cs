using System.Buffers;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// Filters: the best eligible items by score — not excluded (training row, consumed, request), available in the live
/// catalog, within the request's categories — numbered in score order for the later stages' tie-breaks.
/// </summary>
internal static class FilterStage
{
    /// <summary>
    /// The best <paramref name="want"/> eligible items; widens the heap until enough pass the per-item filters
    /// (including the filter rules in effect, <paramref name="rules"/>, so a hidden item leaves no hole). The candidates,
    /// the list and the heap come from <paramref name="arena"/> when given (the serving path), else are new objects.
    /// </summary>
    public static List<ServingCandidate> SelectPool(ModelBundle bundle, ServingIndex index, ServingRequest request, ReadOnlySpan<float> total, ReadOnlySpan<int> excludedSorted, int want, RulesStage? rules = null, CandidateArena? arena = null)
    {
        var pool = arena?.Pool ?? new List<ServingCandidate>(want + 4);
        if (want == 0 || index.ItemCount == 0)
        {
            return pool;
        }

        var take = Math.Min(index.ItemCount, want + 8);
        while (true)
        {
            pool.Clear();
            var heap = arena?.Heap(take) ?? new TopKHeap(take);
            var topBuffer = ArrayPool<int>.Shared.Rent(take);
            var scoreBuffer = ArrayPool<float>.Shared.Rent(take);
            var top = topBuffer.AsSpan(0, take);
            var scores = scoreBuffer.AsSpan(0, take);
            TopK.Fill(total, excludedSorted, heap);
            var found = heap.Drain(top, scores);
            for (var k = 0; k < found && pool.Count < want; k++)
            {
                var id = bundle.ItemIds[top[k]];
                if (IsAvailable(request, top[k], id) && PassesCategories(request, bundle, top[k])
                    && (rules is null || rules.Admits(top[k], id)))
                {
                    pool.Add(arena?.Next(top[k], id, scores[k], pool.Count) ?? new ServingCandidate(top[k], id, scores[k], pool.Count));
                }
            }

            ArrayPool<int>.Shared.Return(topBuffer);
            ArrayPool<float>.Shared.Return(scoreBuffer);
            if (pool.Count >= want || found < take || take >= index.ItemCount)
            {
                return pool;
            }

            take = Math.Min(index.ItemCount, take * 4);
        }
    }

    /// <summary>The request's category filters (include / exclude) on an item's categories.</summary>
    public static bool PassesCategories(ServingRequest request, IReadOnlyList<string>? categories) =>
        CategoryFilter.Passes(categories, request.IncludeCategories, request.ExcludeCategories);

    /// <summary>
    /// The request's category filters on the bundle's item <paramref name="item"/>. Its record is read only when the
    /// request filters by category: the records are scattered over the heap, and reading one per pool candidate (to
    /// pass its categories to a filter with nothing to check) was a cache miss each, the largest cost of this stage.
    /// </summary>
    public static bool PassesCategories(ServingRequest request, ModelBundle bundle, int item) =>
        !FiltersCategories(request) || PassesCategories(request, item < bundle.Items.Count ? bundle.Items[item].Categories : null);

    private static bool FiltersCategories(ServingRequest request) =>
        request.IncludeCategories is { Count: > 0 } || request.ExcludeCategories is { Count: > 0 };

    internal static bool IsAvailable(ServingRequest request, int item, string id) =>
        request.UnavailableItems is { } unavailable && item < unavailable.Count
            ? !unavailable[item]
            : request.IsAvailable is null || request.IsAvailable(id);
}
