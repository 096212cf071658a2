using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>Similar items of one item (<c>GET /v1/items/{id}/similar</c>): item-kNN neighbours, topped up by factor cosine.</summary>
internal static class SimilarItems
{
    /// <summary>Items most similar to <paramref name="itemId"/>, or null when the bundle does not know it.</summary>
    public static IReadOnlyList<ServedItem>? Of(ModelBundle bundle, string itemId, int count, Func<string, bool>? isAvailable)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(itemId);
        if (bundle.ItemIndex(itemId) is not { } item)
        {
            return null;
        }

        var index = ServingIndex.Of(bundle);
        var result = new List<ServedItem>(Math.Max(0, count));
        if (count <= 0)
        {
            return result;
        }

        var title = ExplainStage.Title(bundle, item);
        var chosen = new HashSet<int> { item };
        var neighbors = bundle.Neighbors.ItemCount == index.ItemCount ? bundle.Neighbors.NeighborItems(item) : [];
        var sims = bundle.Neighbors.ItemCount == index.ItemCount ? bundle.Neighbors.NeighborSimilarities(item) : [];
        // Most similar first; equal similarities in index order, so the list is deterministic.
        var order = new int[neighbors.Length];
        for (var k = 0; k < order.Length; k++)
        {
            order[k] = k;
        }

        var neighborSims = sims.ToArray();
        Array.Sort(order, (a, b) =>
        {
            var bySimilarity = neighborSims[b].CompareTo(neighborSims[a]);
            return bySimilarity != 0 ? bySimilarity : a.CompareTo(b);
        });
        // An EASE-fitted item-item signal also keeps negative weights (items that argue against each other); they
        // are not similar items, and they sort last.
        for (var k = 0; k < order.Length && result.Count < count && neighborSims[order[k]] > 0; k++)
        {
            var j = neighbors[order[k]];
            var id = bundle.ItemIds[j];
            if (chosen.Add(j) && (isAvailable is null || isAvailable(id)))
            {
                result.Add(new ServedItem(id, neighborSims[order[k]], $"often chosen together with {title}", false, null));
            }
        }

        if (result.Count < count && index.Factors > 0)
        {
            // Top up with the closest items in the factor space, skipping what is already listed.
            var heap = new TopKHeap(Math.Min(index.ItemCount, count + chosen.Count + 16));
            for (var j = 0; j < index.ItemCount; j++)
            {
                if (!chosen.Contains(j))
                {
                    heap.Offer(j, index.Cosine(item, j));
                }
            }

            var top = new int[heap.Count];
            var scores = new float[heap.Count];
            heap.Drain(top, scores);
            for (var k = 0; k < top.Length && result.Count < count; k++)
            {
                var id = bundle.ItemIds[top[k]];
                if (scores[k] > 0 && (isAvailable is null || isAvailable(id)))
                {
                    result.Add(new ServedItem(id, scores[k], $"similar to {title}", false, null));
                }
            }
        }

        return result;
    }
}
