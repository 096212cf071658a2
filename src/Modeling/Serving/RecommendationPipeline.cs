using System.Buffers;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Cohortly.Modeling.Diversity;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// The serving path on a loaded <see cref="ModelBundle"/>: candidates → the cohort's ranker → filters → context re-rank
/// → diversity (MMR) → exploration (the cohort's policy) → items with reasons. Pure and thread-safe.
/// </summary>
/// <remarks>
/// Every item of the bundle is scored by the cohort's blend (no candidate pre-selection). The blend standardizes each
/// signal over the whole catalog, so scoring only a candidate subset would need the catalog-wide mean and spread of
/// every signal anyway, and the dominant cost (the iALS dot products) is the same for retrieving iALS candidates as
/// for scoring everything. Full scoring keeps a known user's serving scores identical to the trained ranking
/// (online/offline parity). Measured on 10,000 items × 64 factors (4 signals): one request costs about 2.8× a bare
/// iALS scoring of the catalog plus a top-30 selection, the unavoidable floor of any iALS-based ranking, and the
/// n-sized buffers come from the array pool, so a request allocates about 9 KB (only O(count) objects).
/// If the budget tightens, candidate generation would need catalog-wide signal moments (iALS: x·ȳ and xᵀ(YᵀY/n)x).
/// </remarks>
public static class RecommendationPipeline
{
    public const string CohortModel = "cohort-model";
    public const string GlobalModel = "global-model";
    public const string ColdStartContent = "cold-start-content";
    public const string ColdStartPopularity = "cold-start-popularity";

    /// <summary>Per live trending list: which of its entries the bundle does not know (see <see cref="UnknownRanks"/>).</summary>
    private static readonly ConditionalWeakTable<IReadOnlyList<TrendingItem>, UnknownTrendingItems> UnknownTrending = new();

    /// <summary>How many candidates per requested item go through the context re-rank, MMR and exploration.</summary>
    private const int PoolFactor = 3;


    /// <summary>Cold start: bonus for the best live-trending item, falling linearly with its trending rank.</summary>
    private const float TrendingBoost = 1f;

    /// <summary>A new item (unknown to the bundle) enters the pool this far below the weakest scored candidate.</summary>
    private const double NewItemMargin = 0.01;

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
        var n = index.ItemCount;
        var count = Math.Max(0, request.Count);

        var group = -1;
        var fallback = false;
        string? fallbackReason = null;
        if (request.CohortId is { } cohortId)
        {
            if (bundle.GroupOf(cohortId) is { } g && g < index.GroupWeights.Length)
            {
                group = g;
            }
            else
            {
                fallback = true;
                fallbackReason = string.Create(CultureInfo.InvariantCulture, $"cohort {cohortId} has no model in version {bundle.Version}");
            }
        }

        var user = bundle.UserIndex(request.UserId) is { } u && u < bundle.UserItems.Rows ? u : -1;
        var row = user >= 0 ? bundle.UserItems.RowColumns(user) : [];
        var recentCount = request.RecentItems.Count;
        var foldInBuffer = ArrayPool<int>.Shared.Rent(row.Length + recentCount);
        var recentBuffer = ArrayPool<int>.Shared.Rent(Math.Max(1, recentCount));
        var excludedBuffer = ArrayPool<int>.Shared.Rent(row.Length + recentCount + request.Excluded.Count);
        var scoreBuffer = ArrayPool<float>.Shared.Rent(Math.Max(1, n));
        float[]? partsBuffer = null;
        try
        {
            // 1. Recent items → indices; the fold-in set is the training row plus whatever happened since.
            row.CopyTo(foldInBuffer);
            var foldIn = row.Length;
            var excluded = 0;
            row.CopyTo(excludedBuffer);
            excluded += row.Length;
            List<string>? interests = null;
            for (var r = 0; r < recentCount; r++)
            {
                var recent = request.RecentItems[r];
                var item = bundle.ItemIndex(recent.ItemId) ?? -1;
                recentBuffer[r] = item;
                if (item < 0)
                {
                    interests = AddInterest(interests, request.CategoriesOf?.Invoke(recent.ItemId));
                    continue;
                }

                var semantics = EventTypes.Of(recent.Type);
                if (semantics.ExcludesItem)
                {
                    excludedBuffer[excluded++] = item;
                }

                var interest = semantics.Polarity != Polarity.Negative
                    && !(semantics.Polarity == Polarity.ByRating && request.PositiveRating is { } threshold && recent.Value < threshold);
                if (interest && row.BinarySearch(item) < 0 && !foldInBuffer.AsSpan(row.Length, foldIn - row.Length).Contains(item))
                {
                    foldInBuffer[foldIn++] = item;
                }
            }

            foreach (var id in request.Excluded)
            {
                if (bundle.ItemIndex(id) is { } e)
                {
                    excludedBuffer[excluded++] = e;
                }
            }

            var foldInItems = foldInBuffer.AsSpan(0, foldIn);
            var hasNew = foldIn > row.Length;
            var excludedSorted = SortDistinct(excludedBuffer.AsSpan(0, excluded));
            var recentItems = recentBuffer.AsSpan(0, recentCount);

            // 2–3. The cohort's ranker over every item (or a cold start when there is nothing to rank by).
            string strategy;
            var total = scoreBuffer.AsSpan(0, n);
            var weights = index.WeightsOf(group);
            // Without any history the blend has nothing to score by unless the cohort adopted its own popularity;
            // otherwise a user with only a (provisional) cohort is a cold start ranked by popularity and the
            // cohort's live trending items.
            if (foldIn > 0 || (group >= 0 && !index.CohortPopularityOf(group).IsEmpty))
            {
                strategy = group >= 0 ? CohortModel : GlobalModel;
                partsBuffer = ArrayPool<float>.Shared.Rent(Math.Max(1, index.SignalCount * n));
                ScoreBlend(bundle, index, weights, group, user >= 0 && !hasNew ? user : -1, foldInItems, partsBuffer, total);
            }
            else
            {
                strategy = ColdStart(bundle, index, request, interests, total);
            }

            // 4. Filters: the best PoolFactor × count eligible items.
            var pool = SelectPool(bundle, index, request, total, excludedSorted, Math.Max(PoolFactor * count, count));
            AddNewItems(bundle, request, pool, count);

            // 5. Context re-rank (bounded by the statistics' lift range).
            var hour = request.Now.UtcDateTime.Hour;
            foreach (var c in pool)
            {
                if (c.Item >= 0)
                {
                    var lift = bundle.Context.Lift(c.Item, request.Device, hour);
                    c.Score = c.Relevance >= 0 ? c.Relevance * lift : c.Relevance / lift;
                }
            }

            pool.Sort(static (a, b) =>
            {
                var byScore = b.Score.CompareTo(a.Score);
                return byScore != 0 ? byScore : a.Order.CompareTo(b.Order);
            });

            // 6. Diversity, 7. exploration.
            var policy = request.Policy ?? bundle.PolicyOf(request.CohortId);
            var ordered = Diversify(index, pool, policy.DiversityLambda);
            var picks = new (Candidate Candidate, bool Explored)[Math.Min(count, ordered.Count)];
            var explorer = request.Explore ? ExplorerOf(policy, picks.Length) : null;
            if (explorer is null)
            {
                for (var p = 0; p < picks.Length; p++)
                {
                    picks[p] = (ordered[p], false);
                }
            }
            else
            {
                // A pooled buffer: the arms are read during Rerank only (the result names arms by index and id).
                var armBuffer = ArrayPool<ArmCandidate>.Shared.Rent(ordered.Count);
                try
                {
                    var armCount = ordered.Count;
                    for (var p = 0; p < armCount; p++)
                    {
                        var c = ordered[p];
                        var evidence = request.Arms?.Invoke(c.Id);
                        armBuffer[p] = evidence is { } a
                            ? new ArmCandidate(c.Id, armCount - p, a.Impressions, a.Rewards, a.FirstSeen)
                            : new ArmCandidate(c.Id, armCount - p, 0, 0, c.Item < 0 ? request.Now : DateTimeOffset.MinValue);
                    }

                    var arms = new ArraySegment<ArmCandidate>(armBuffer, 0, armCount);
                    var ranking = explorer.Rerank(arms, picks.Length, request.Now, new Random(request.Seed)).Ranking;
                    for (var p = 0; p < picks.Length; p++)
                    {
                        picks[p] = (ordered[ranking[p].CandidateIndex], ranking[p].Explored);
                    }
                }
                finally
                {
                    ArrayPool<ArmCandidate>.Shared.Return(armBuffer, clearArray: true);
                }
            }

            // 8. Reasons and explanations.
            var context = new ReasonContext(bundle, index, request, strategy, group, weights, partsBuffer, n, foldInItems, recentItems, interests);
            var items = new ServedItem[picks.Length];
            for (var p = 0; p < picks.Length; p++)
            {
                var (c, explored) = picks[p];
                items[p] = new ServedItem(
                    c.Id,
                    c.Score,
                    explored && c.Item >= 0 ? "exploring something new" : context.Reason(c),
                    explored,
                    request.Explain ? context.Contributions(c) : null);
            }

            return new ServingResult(items, strategy, bundle.Version, fallback, fallbackReason);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(foldInBuffer);
            ArrayPool<int>.Shared.Return(recentBuffer);
            ArrayPool<int>.Shared.Return(excludedBuffer);
            ArrayPool<float>.Shared.Return(scoreBuffer);
            if (partsBuffer is not null)
            {
                ArrayPool<float>.Shared.Return(partsBuffer);
            }
        }
    }

    /// <summary>Items most similar to <paramref name="itemId"/>, or null when the bundle does not know it.</summary>
    public static IReadOnlyList<ServedItem>? Similar(ModelBundle bundle, string itemId, int count, Func<string, bool>? isAvailable)
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

        var title = Title(bundle, item);
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
        for (var k = 0; k < order.Length && result.Count < count; k++)
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

    private static void ScoreBlend(ModelBundle bundle, ServingIndex index, float[] weights, int group, int trainedUser, ReadOnlySpan<int> foldIn, float[] parts, Span<float> total)
    {
        var n = index.ItemCount;
        total.Clear();
        var signals = bundle.Scorer.Signals;
        for (var s = 0; s < index.SignalCount; s++)
        {
            var part = parts.AsSpan(s * n, n);
            if (weights[s] == 0)
            {
                continue;
            }

            // A known user with nothing new since training is scored exactly as training scored them (parity);
            // anyone else is folded in from their items.
            var model = signals[s].Model;
            var known = trainedUser >= 0 && trainedUser < model.UserCount;
            if (index.StandardizedPopularity[s] is { Length: > 0 } rows && model is PopularityRecommender popularity)
            {
                // Same numbers as scoring and standardizing here (popularity depends on the user's group only).
                var g = known ? popularity.GroupOfUser(trainedUser) : -1;
                rows[(uint)g < (uint)popularity.GroupCount ? g : popularity.GroupCount].CopyTo(part);
            }
            else
            {
                if (known)
                {
                    model.Score(trainedUser, part);
                }
                else
                {
                    model.ScoreItems(foldIn, part);
                }

                ScoreScaling.Standardize(part);
            }

            TensorPrimitives.MultiplyAdd(part, weights[s], total, total);
        }

        var cohortPopularity = index.CohortPopularityOf(group);
        if (!cohortPopularity.IsEmpty)
        {
            TensorPrimitives.Add(total, cohortPopularity, total);
        }
    }

    private static string ColdStart(ModelBundle bundle, ServingIndex index, ServingRequest request, List<string>? interests, Span<float> total)
    {
        index.PopularityStandardized.CopyTo(total);
        var strategy = ColdStartPopularity;
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
                strategy = ColdStartContent;
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

    /// <summary>The best eligible items by score; widens the heap until enough pass the per-item filters.</summary>
    private static List<Candidate> SelectPool(ModelBundle bundle, ServingIndex index, ServingRequest request, ReadOnlySpan<float> total, ReadOnlySpan<int> excludedSorted, int want)
    {
        var pool = new List<Candidate>(want + 4);
        if (want == 0 || index.ItemCount == 0)
        {
            return pool;
        }

        var take = Math.Min(index.ItemCount, want + 8);
        while (true)
        {
            pool.Clear();
            var heap = new TopKHeap(take);
            var topBuffer = ArrayPool<int>.Shared.Rent(take);
            var scoreBuffer = ArrayPool<float>.Shared.Rent(take);
            var top = topBuffer.AsSpan(0, take);
            var scores = scoreBuffer.AsSpan(0, take);
            TopK.Fill(total, excludedSorted, heap);
            var found = heap.Drain(top, scores);
            for (var k = 0; k < found && pool.Count < want; k++)
            {
                var id = bundle.ItemIds[top[k]];
                if (IsAvailable(request, top[k], id) && PassesCategories(request, bundle.Items.Count > top[k] ? bundle.Items[top[k]].Categories : null))
                {
                    pool.Add(new Candidate(top[k], id, scores[k], pool.Count));
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

    /// <summary>Live-trending items the bundle does not know yet join the pool just below it, so new items can surface.</summary>
    private static void AddNewItems(ModelBundle bundle, ServingRequest request, List<Candidate> pool, int count)
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
                if ((request.IsAvailable is null || request.IsAvailable(id)) && PassesCategories(request, categories))
                {
                    added++;
                    var c = new Candidate(-1, id, floor - (NewItemMargin * added), pool.Count)
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
    private static int[] UnknownRanks(ModelBundle bundle, IReadOnlyList<TrendingItem> list)
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

    private static bool IsAvailable(ServingRequest request, int item, string id) =>
        request.UnavailableItems is { } unavailable && item < unavailable.Count
            ? !unavailable[item]
            : request.IsAvailable is null || request.IsAvailable(id);

    private static bool PassesCategories(ServingRequest request, IReadOnlyList<string>? categories) =>
        CategoryFilter.Passes(categories, request.IncludeCategories, request.ExcludeCategories);

    private static List<Candidate> Diversify(ServingIndex index, List<Candidate> pool, double lambda)
    {
        if (lambda >= 1 || pool.Count <= 2)
        {
            return pool;
        }

        Span<double> relevance = pool.Count <= 256 ? stackalloc double[pool.Count] : new double[pool.Count];
        for (var k = 0; k < relevance.Length; k++)
        {
            relevance[k] = pool[k].Score;
        }

        var order = new MaximalMarginalRelevance(lambda).Select(relevance, (a, b) => Similarity(index, pool[a], pool[b]), pool.Count);
        var result = new List<Candidate>(order.Length);
        foreach (var k in order)
        {
            result.Add(pool[k]);
        }

        return result;
    }

    /// <summary>Factor cosine between known items; sharing the first category otherwise (new items have no factors).</summary>
    private static double Similarity(ServingIndex index, Candidate a, Candidate b)
    {
        if (a.Item >= 0 && b.Item >= 0)
        {
            return index.Cosine(a.Item, b.Item);
        }

        var ca = a.Item >= 0 ? CategoryOf(index, a.Item) : a.Category;
        var cb = b.Item >= 0 ? CategoryOf(index, b.Item) : b.Category;
        return ca is not null && cb is not null && string.Equals(ca, cb, StringComparison.OrdinalIgnoreCase) ? 1 : 0;
    }

    private static string? CategoryOf(ServingIndex index, int item) =>
        index.ItemCategory[item] is var c && c >= 0 ? index.CategoryNames[c] : null;

    private static IExplorationPolicy? ExplorerOf(ServingPolicy policy, int length)
    {
        // The policy is typed and validated where it is set (training options, the cohort's override), so it builds
        // its own explorer: no name to look up here, and no name that silently means "no exploration".
        return policy.CreateExplorer(length);
    }

    private static List<string>? AddInterest(List<string>? interests, IReadOnlyList<string>? categories)
    {
        if (categories is null)
        {
            return interests;
        }

        foreach (var c in categories)
        {
            interests ??= [];
            if (!ContainsIgnoreCase(interests, c))
            {
                interests.Add(c);
            }
        }

        return interests;
    }

    private static bool ContainsIgnoreCase(List<string> values, string value)
    {
        foreach (var v in values)
        {
            if (string.Equals(v, value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<int> SortDistinct(Span<int> values)
    {
        values.Sort();
        var w = 0;
        for (var r = 0; r < values.Length; r++)
        {
            if (w == 0 || values[r] != values[w - 1])
            {
                values[w++] = values[r];
            }
        }

        return values[..w];
    }

    internal static string Title(ModelBundle bundle, int item) =>
        item < bundle.Items.Count && !string.IsNullOrEmpty(bundle.Items[item].Title) ? bundle.Items[item].Title : bundle.ItemIds[item];

    private sealed record UnknownTrendingItems(ModelBundle Bundle, int[] Ranks);

    /// <summary>One item on its way through the re-rank steps; <see cref="Item"/> is −1 for items the bundle does not know.</summary>
    private sealed class Candidate(int item, string id, double relevance, int order)
    {
        public int Item { get; } = item;

        public string Id { get; } = id;

        /// <summary>The ranker's score (before context).</summary>
        public double Relevance { get; } = relevance;

        public double Score { get; set; } = relevance;

        /// <summary>Position by relevance (ties in the re-ranks keep it).</summary>
        public int Order { get; } = order;

        public string? Category { get; init; }
    }

    /// <summary>Per-request state the reasons and explanations read (only for the few items returned).</summary>
    private sealed class ReasonContext(
        ModelBundle bundle,
        ServingIndex index,
        ServingRequest request,
        string strategy,
        int group,
        float[] weights,
        float[]? parts,
        int n,
        ReadOnlySpan<int> foldIn,
        ReadOnlySpan<int> recent,
        List<string>? interests)
    {
        private readonly int[] _foldIn = foldIn.ToArray();
        private readonly int[] _recent = recent.ToArray();

        public string Reason(Candidate c)
        {
            if (c.Item < 0)
            {
                return c.Category is { } category ? $"new in {category}" : "new in the catalog";
            }

            if (strategy == ColdStartContent && index.ItemCategory[c.Item] is var ic && ic >= 0 && interests is not null
                && ContainsIgnoreCase(interests, index.CategoryNames[ic]))
            {
                return $"similar to your interests in {index.CategoryNames[ic]}";
            }

            if (parts is null)
            {
                return request.CohortId is not null && InCohortTrending(c.Item)
                    ? $"popular in your cohort \"{CohortLabel()}\""
                    : "trending with all shoppers";
            }

            // The signal contributing most to this item decides the wording.
            var best = -1;
            var bestValue = 0f;
            for (var s = 0; s <= index.SignalCount; s++)
            {
                var value = Contribution(s, c.Item);
                if (value > bestValue)
                {
                    best = s;
                    bestValue = value;
                }
            }

            var role = best < 0 ? SignalRole.Popularity : index.Roles[best];
            if (role == SignalRole.History && BecauseOf(c.Item) is { } because)
            {
                return because;
            }

            return role switch
            {
                SignalRole.CohortPopularity => $"popular in your cohort \"{CohortLabel()}\"",
                SignalRole.Content or SignalRole.History when CategoryOf(index, c.Item) is { } category => $"similar to your interests in {category}",
                _ => "trending with all shoppers",
            };
        }

        public IReadOnlyList<FeatureContribution> Contributions(Candidate c)
        {
            var list = new List<FeatureContribution>(index.SignalCount + 2);
            if (c.Item < 0)
            {
                list.Add(new FeatureContribution("new_item", c.Relevance));
            }
            else if (parts is null)
            {
                var popularity = index.PopularityStandardized[c.Item];
                list.Add(new FeatureContribution("popularity", popularity));
                if (c.Relevance - popularity is var rest && Math.Abs(rest) > 1e-6)
                {
                    list.Add(new FeatureContribution(strategy == ColdStartContent ? "content" : "trending", rest));
                }
            }
            else
            {
                for (var s = 0; s <= index.SignalCount; s++)
                {
                    if (weights[s] != 0)
                    {
                        list.Add(new FeatureContribution(index.Names[s], Contribution(s, c.Item)));
                    }
                }
            }

            list.Add(new FeatureContribution("context", c.Score - c.Relevance));
            return list;
        }

        private bool InCohortTrending(int item)
        {
            var id = bundle.ItemIds[item];
            foreach (var t in request.CohortTrending)
            {
                if (string.Equals(t.ItemId, id, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        private float Contribution(int signal, int item)
        {
            if (signal == index.SignalCount)
            {
                var cohort = index.CohortPopularityOf(group);
                return cohort.IsEmpty ? 0 : cohort[item];
            }

            return weights[signal] == 0 || parts is null ? 0 : weights[signal] * parts[(signal * n) + item];
        }

        /// <summary>"because you viewed X": the user's item that lends the most neighbour (or factor) similarity.</summary>
        private string? BecauseOf(int item)
        {
            var source = -1;
            var bestSim = 0f;
            var neighbors = bundle.Neighbors.ItemCount == index.ItemCount ? bundle.Neighbors.NeighborItems(item) : [];
            var sims = bundle.Neighbors.ItemCount == index.ItemCount ? bundle.Neighbors.NeighborSimilarities(item) : [];

            // Recent items first (newest wins ties), then the rest of the fold-in set.
            for (var pass = 0; pass < 2 && source < 0; pass++)
            {
                var from = pass == 0 ? _recent : _foldIn;
                for (var r = from.Length - 1; r >= 0; r--)
                {
                    var i = from[r];
                    if (i < 0 || i == item)
                    {
                        continue;
                    }

                    var at = neighbors.BinarySearch(i);
                    var sim = at >= 0 ? sims[at] : 0.5f * index.Cosine(item, i);
                    if (sim > bestSim)
                    {
                        bestSim = sim;
                        source = i;
                    }
                }
            }

            if (source < 0)
            {
                return null;
            }

            var verb = "interacted with";
            for (var r = _recent.Length - 1; r >= 0; r--)
            {
                if (_recent[r] == source)
                {
                    verb = EventTypes.Of(request.RecentItems[r].Type).Verb;
                    break;
                }
            }

            return $"because you {verb} {Title(bundle, source)}";
        }

        private string CohortLabel() =>
            request.CohortLabel
            ?? (request.CohortId is { } id && index.CohortLabels.TryGetValue(id, out var label) ? label : null)
            ?? (request.CohortId is { } other ? string.Create(CultureInfo.InvariantCulture, $"cohort {other}") : "your cohort");
    }
}
