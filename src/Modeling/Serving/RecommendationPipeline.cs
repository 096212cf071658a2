using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// The serving path on a loaded <see cref="ModelBundle"/>, as stages with one job each (one file each in this
/// folder): history → score (the cohort's blend, or a cold start) → filter (with the rules' filters) → learned re-rank
/// (where the cohort's ranker serves) → new items → context re-rank → merchandising rules → diversify (MMR) → explore
/// (the cohort's policy) → buy again (due repeat purchases lead) → place pins → explain. Pure and thread-safe.
/// </summary>
/// <remarks>
/// Every item of the bundle is scored by the cohort's blend (no candidate pre-selection). The blend standardizes each
/// signal over the whole catalog, so scoring only a candidate subset would need the catalog-wide mean and spread of
/// every signal anyway, and the dominant cost (the iALS dot products) is the same for retrieving iALS candidates as
/// for scoring everything. Full scoring keeps a known user's serving scores identical to the trained ranking
/// (online/offline parity). Measured on 10,000 items × 64 factors (4 signals): one request costs about 2.8× a bare
/// iALS scoring of the catalog plus a top-30 selection, the unavoidable floor of any iALS-based ranking, and the
/// n-sized buffers come from the array pool and the candidates, their lists and the top-k heap from a per-thread
/// <see cref="CandidateArena"/>, so a request allocates about 2.5 KB (<c>bench serve</c>, 10 items, no explain): what
/// leaves it (the served records, their reasons, the slot decisions) and the exploration policy's result.
/// If the budget tightens, candidate generation would need catalog-wide signal moments (iALS: x·ȳ and xᵀ(YᵀY/n)x).
/// The stages are static methods passing plain values (rented buffers in two disposable structs), not objects behind
/// an interface: a request allocates nothing more than it did as one method.
/// </remarks>
public static class RecommendationPipeline
{
    public const string CohortModel = "cohort-model";
    public const string GlobalModel = "global-model";
    public const string ColdStartContent = "cold-start-content";
    public const string ColdStartPopularity = "cold-start-popularity";

    /// <summary>How many candidates per requested item go through the context re-rank, MMR and exploration.</summary>
    private const int PoolFactor = 3;

    /// <summary>
    /// Builds the per-bundle serving index and the bundle's id lookups now, so the first request after a model load
    /// does not pay for them (call from the model cache right after loading).
    /// </summary>
    public static void Prepare(ModelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        _ = ServingIndex.Of(bundle);
        _ = bundle.ItemIndex(string.Empty);
        _ = bundle.UserIndex(string.Empty);
        _ = bundle.GroupOf(int.MinValue);
    }

    public static ServingResult Recommend(ModelBundle bundle, ServingRequest request)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(request);
        var index = ServingIndex.Of(bundle);
        var count = Math.Max(0, request.Count);
        string? fallbackReason = null;
        var group = request.GlobalWeights ? -1 : ScoreStage.GroupOf(bundle, index, request.CohortId, out fallbackReason);
        var user = !request.IgnoreTrainedRow && bundle.UserIndex(request.UserId) is { } u && u < bundle.UserItems.Rows ? u : -1;

        using var history = ServingHistory.Read(bundle, request, user);
        using var scores = ScoreStage.CanScore(index, group, history)
            ? ScoreStage.Score(bundle, index, group, user, history)
            : ColdStartStage.Score(bundle, index, request, group, history.Interests);
        var rules = RulesStage.Begin(bundle, request);
        var want = Math.Max(PoolFactor * count, count);
        var ranks = RankerStage.Serves(bundle, index, request, scores);
        var arena = CandidateArena.Begin();
        var pool = FilterStage.SelectPool(bundle, index, request, scores.Total, history.ExcludedSorted, RankerStage.PoolSize(bundle, ranks, want), rules, arena);
        var ranked = RankerStage.Rerank(bundle, index, request, group, ranks, scores, history, pool, want);
        NewItemStage.AddNewItems(bundle, request, pool, count);
        ContextStage.Rerank(bundle, request, pool);
        var pins = rules?.Apply(pool, scores.Total, history.ExcludedSorted, count);
        var policy = request.Policy ?? bundle.PolicyOf(request.CohortId);
        var ordered = DiversifyStage.Diversify(index, pool, policy.DiversityLambda, arena);
        var due = BuyAgainStage.Select(bundle, index, request, user, scores.Total, rules, count - (pins?.Count ?? 0));
        var picks = ExploreStage.Pick(request, ordered, count - (pins?.Count ?? 0) - (due?.Count ?? 0), policy, out var decisions);
        if (due is not null)
        {
            // Before the pins, so an operator's pin keeps its slot and the buy-again items lead the rest.
            picks = BuyAgainStage.Place(picks, due, ref decisions);
        }

        if (pins is { Count: > 0 })
        {
            picks = RulesStage.Place(picks, pins, ref decisions);
        }

        var items = new ExplainStage(bundle, index, request, group, scores, history).Items(picks);
        RankerStage.Explain(ranked, picks, items);
        return new ServingResult(items, scores.Strategy, bundle.Version, fallbackReason is not null, fallbackReason) { Decisions = decisions, Ranker = ranked is not null };
    }

    /// <summary>Items most similar to <paramref name="itemId"/>, or null when the bundle does not know it.</summary>
    public static IReadOnlyList<ServedItem>? Similar(ModelBundle bundle, string itemId, int count, Func<string, bool>? isAvailable) =>
        SimilarItems.Of(bundle, itemId, count, isAvailable);
}
