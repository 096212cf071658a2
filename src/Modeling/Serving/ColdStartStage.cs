using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// Scores for a user the blend has nothing to score by: global popularity, items of the categories of their recent
/// items newer than the model first, boosted by the live trending lists (the cohort's above everything else).
/// </summary>
internal static class ColdStartStage
{
    /// <summary>Bonus for the best live-trending item, falling linearly with its trending rank.</summary>
    private const float TrendingBoost = 1f;

    public static ServingScores Score(ModelBundle bundle, ServingIndex index, ServingRequest request, int group, List<string>? interests)
    {
        var n = index.ItemCount;
        var total = ServingScores.RentTotal(n);
        var strategy = Score(bundle, index, request, interests, total.AsSpan(0, n));
        return new ServingScores(strategy, index.WeightsOf(group), total, n, null);
    }

    private static string Score(ModelBundle bundle, ServingIndex index, ServingRequest request, List<string>? interests, Span<float> total)
    {
        index.PopularityStandardized.CopyTo(total);
        var strategy = RecommendationPipeline.ColdStartPopularity;
        if (interests is { Count: > 0 })
        {
            var wanted = new bool[index.CategoryNames.Length];
            var any = false;
            foreach (var name in interests)
            {
                if (index.CategoryIds.TryGetValue(name, out var c))
                {
                    wanted[c] = true;
                    any = true;
                }
            }

            if (any)
            {
                // Interest outranks popularity: every item of a wanted category comes first, by popularity.
                strategy = RecommendationPipeline.ColdStartContent;
                var boost = index.PopularitySpread + TrendingBoost + 1;
                for (var i = 0; i < total.Length; i++)
                {
                    var c = index.ItemCategory[i];
                    if (c >= 0 && wanted[c])
                    {
                        total[i] += boost;
                    }
                }
            }
        }

        var trending = request.GlobalTrending;
        for (var r = 0; r < trending.Count; r++)
        {
            if (bundle.ItemIndex(trending[r].ItemId) is { } i)
            {
                total[i] += TrendingBoost * (1 - ((float)r / trending.Count));
            }
        }

        if (request.CohortId is not null)
        {
            // The cohort's own trend outranks global popularity: that is what the cohort (even a provisional one) is for.
            var floor = index.PopularitySpread + 1;
            for (var r = 0; r < request.CohortTrending.Count; r++)
            {
                if (bundle.ItemIndex(request.CohortTrending[r].ItemId) is { } i)
                {
                    total[i] += floor + (TrendingBoost * (1 - ((float)r / request.CohortTrending.Count)));
                }
            }
        }

        return strategy;
    }
}
