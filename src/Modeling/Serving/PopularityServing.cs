using Cohortly.Modeling.Trending;

namespace Cohortly.Modeling.Serving;

/// <summary>What the popularity fallback needs: the live top items of the user's cohort and of everybody, and the filters.</summary>
public sealed record PopularityRequest
{
    /// <summary>The cohort's decayed top items, best first (empty when the user has no cohort or it has no snapshot yet).</summary>
    public IReadOnlyList<ScoredItem> CohortTop { get; init; } = [];

    /// <summary>Everybody's decayed top items (pseudo-cohort 0), best first.</summary>
    public IReadOnlyList<ScoredItem> GlobalTop { get; init; } = [];

    /// <summary>The cohort's label as the reasons show it.</summary>
    public string? CohortLabel { get; init; }

    /// <summary>Never recommended: purchased, dismissed.</summary>
    public IReadOnlySet<string> Excluded { get; init; } = new HashSet<string>();

    /// <summary>Live availability from the catalog; null treats every item as available.</summary>
    public Func<string, bool>? IsAvailable { get; init; }

    /// <summary>Live categories of an item, for the category filters.</summary>
    public Func<string, IReadOnlyList<string>?>? CategoriesOf { get; init; }

    public IReadOnlyList<string>? IncludeCategories { get; init; }

    public IReadOnlyList<string>? ExcludeCategories { get; init; }

    public int Count { get; init; } = 10;
}

/// <summary>The popularity fallback's answer: items with reasons and the strategy that served them.</summary>
public sealed record PopularityResult(IReadOnlyList<ServedItem> Items, string Strategy);

/// <summary>
/// Serving before the first trained model: the cohort's live top items, topped up from everybody's, skipping
/// excluded, unavailable and filtered-out items.
/// </summary>
public static class PopularityServing
{
    public const string CohortPopularity = "cohort-popularity";
    public const string GlobalPopularity = "global-popularity";

    /// <summary>Nothing to serve: both lists are empty or everything on them is filtered out.</summary>
    public const string Empty = "empty";

    public static PopularityResult Recommend(PopularityRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ranked = PopularityRanker.Rank(
            request.CohortTop,
            request.GlobalTop,
            item => request.Excluded.Contains(item)
                || !(request.IsAvailable is null || request.IsAvailable(item))
                || !CategoryFilter.Passes(request.CategoriesOf?.Invoke(item), request.IncludeCategories, request.ExcludeCategories),
            request.Count);

        var items = new ServedItem[ranked.Count];
        for (var k = 0; k < items.Length; k++)
        {
            var r = ranked[k];
            var reason = r.FromPrimary ? $"popular in your cohort \"{request.CohortLabel}\"" : "popular with all shoppers";
            items[k] = new ServedItem(r.ItemId, r.Score, reason, false, null);
        }

        var strategy = ranked.Count == 0 ? Empty
            : ranked[0].FromPrimary ? CohortPopularity
            : GlobalPopularity;
        return new PopularityResult(items, strategy);
    }
}
