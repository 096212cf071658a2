namespace Cohortly.Modeling.Trending;

public readonly record struct RankedItem(string ItemId, double Score, bool FromPrimary);

/// <summary>
/// The first recommender: a primary popularity list (the user's cohort) topped up from a fallback
/// list (all users), skipping excluded items and duplicates.
/// </summary>
public static class PopularityRanker
{
    public static List<RankedItem> Rank(IReadOnlyList<ScoredItem> primary, IReadOnlyList<ScoredItem> fallback, Func<string, bool> excluded, int count)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(fallback);
        ArgumentNullException.ThrowIfNull(excluded);
        var result = new List<RankedItem>(count);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        Take(primary, true);
        Take(fallback, false);
        return result;

        void Take(IReadOnlyList<ScoredItem> source, bool isPrimary)
        {
            for (var i = 0; i < source.Count && result.Count < count; i++)
            {
                var item = source[i];
                if (!excluded(item.ItemId) && taken.Add(item.ItemId))
                {
                    result.Add(new RankedItem(item.ItemId, item.Score, isPrimary));
                }
            }
        }
    }
}
