using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Repeats;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;
using Cohortly.Modeling.Trending;
using Cohortly.Modeling.Users;

namespace Cohortly.Grains.Users;

/// <summary>
/// One recommendation request of one user, on the silo's caches (no grain hop): builds the serving request from the
/// user's state and the silo's caches (segmentation, cohort policies and arms, experiments, catalog, rules, the model),
/// runs the pipeline or the popularity fallback, assembles the response, and remembers it for attribution with its
/// exposure. The grain only catches the user up with the segmentation first and marks its state dirty after.
/// </summary>
/// <remarks>
/// A short-lived value over the grain's state and the silo's services, so the grain stays a shell over the user's
/// state (consumption, persistence) and everything about answering a request reads in one place.
/// </remarks>
internal readonly struct UserServing(string userId, UserState state, UserGrainServices services)
{
    private static readonly IReadOnlySet<string> NoExcludedItems = System.Collections.Frozen.FrozenSet<string>.Empty;
    private readonly string _userId = userId;
    private readonly UserState _state = state;
    private readonly UserGrainServices _services = services;

    public RecommendationResponse Recommend(RecommendationRequest request)
    {
        var now = _services.Time.GetUtcNow();
        var id = RecommendationIds.NewId(now);
        var recommendationId = id.ToString("N");
        ExperimentServing? experiment = null;
        SlotDecision[]? decisions = null;
        var response = _state.PersonalizationWithheld
            ? RecommendByPopularity(request, recommendationId) with { NonPersonalized = true }
            : _services.Models.Current is { } bundle
            ? RecommendWithModel(bundle, request, recommendationId, now, out experiment, out decisions)
            : RecommendByPopularity(request, recommendationId);

        RememberServed(id, now, response, experiment, decisions);
        _services.Metrics.Recommendations.Add(1, new KeyValuePair<string, object?>("strategy", response.Strategy));
        if (response.Fallback)
        {
            _services.Metrics.RecommendationFallbacks.Add(1);
        }

        return response;
    }

    /// <summary>
    /// The full pipeline on the silo's model cache (no grain hop): the user's live recent items fold into the trained
    /// model, so an event changes the next answer without retraining; a cohort the model does not know is served by
    /// the global weights and says so.
    /// </summary>
    /// <remarks>
    /// Experiments apply here, with a model only: the silo's experiment cache names the variant for this user in this
    /// cohort (no grain call), whose treatment replaces the weights and the cohort's policy. Before the first model
    /// every variant would serve the same popularity lists, so those responses belong to no experiment.
    /// </remarks>
    private RecommendationResponse RecommendWithModel(ModelBundle bundle, RecommendationRequest request, string recommendationId, DateTimeOffset now, out ExperimentServing? experiment, out SlotDecision[]? decisions)
    {
        var s = _state;
        var profile = s.Profile;
        var provisional = false;
        // A user whose live profile has not been rebuilt (new silo storage, events only in the log) still has the
        // cohort training gave them; only a user nobody has seen gets one from attributes and context.
        var erasedRow = s.IgnoresTrainedRow(bundle.TrainedAt);
        var cohortId = s.CohortId ?? (profile.TotalEvents == 0 && !erasedRow ? bundle.TrainedCohortOf(_userId) : null);
        if (cohortId is null && profile.TotalEvents == 0 && bundle.Provisional.Predict(s.Attributes, request.Device, request.Context) is { } guessed)
        {
            cohortId = guessed;
            provisional = true;
        }

        var label = cohortId is { } cid ? _services.Segmentation.LabelOf(cid) ?? bundle.Segmentation.LabelOf(cid) : null;
        var excluded = ExcludedItems(profile);
        experiment = _services.Experiments.Assign(_userId, cohortId, now);
        var treatment = experiment?.Treatment ?? Modeling.Experiments.VariantTreatment.None;
        var policy = _services.Cohorts.PolicyOf(cohortId ?? CohortSnapshotCache.Global);
        if (treatment.ChangesPolicy)
        {
            policy = treatment.Apply(policy ?? bundle.PolicyOf(cohortId));
        }

        var result = RecommendationPipeline.Recommend(bundle, new ServingRequest
        {
            UserId = _userId,
            IgnoreTrainedRow = erasedRow,
            CohortId = cohortId,
            CohortLabel = label,
            ProvisionalCohort = provisional,
            RecentItems = profile.RecentItems,
            PositiveRating = _services.Training.PositiveRating,
            Excluded = excluded,
            IsAvailable = _services.Catalog.AvailabilityLookup,
            UnavailableItems = _services.Catalog.UnavailableIn(bundle),
            CategoriesOf = _services.Catalog.CategoriesLookup,
            IncludeCategories = request.IncludeCategories,
            ExcludeCategories = request.ExcludeCategories,
            Device = request.Device,
            Context = request.Context,
            Rules = _services.Rules.Current,
            ItemOf = _services.Catalog.FindLookup,
            Now = _services.Time.GetUtcNow(),
            Count = request.Count,
            Explain = request.Explain,
            Explore = request.Explore,
            Arms = _services.Cohorts.ArmEvidenceOf(cohortId ?? CohortSnapshotCache.Global),
            CohortTrending = _services.Cohorts.TrendingOf(cohortId ?? CohortSnapshotCache.Global),
            GlobalTrending = _services.Cohorts.TrendingOf(CohortSnapshotCache.Global),
            Seed = recommendationId.GetHashCode(StringComparison.Ordinal),
            Policy = policy,
            GlobalWeights = treatment.GlobalWeights || (cohortId is { } held && _services.Cohorts.HeldOnGlobal(held)),
            UseRanker = treatment.Ranker,
            ProfileFeatures = bundle.Ranker is null ? null : ProfileFeatures.Extract(profile, ModelClock.ProfileTime(bundle, profile, now).ToUnixTimeMilliseconds()),
            BuyAgainSlots = request.BuyAgainSlots ?? _services.Settings.BuyAgainSlots,
            RepeatPolicyOf = _services.Catalog.RepeatPolicies,
        });

        decisions = result.Decisions;
        var items = new List<RecommendedItem>(result.Items.Count);
        foreach (var item in result.Items)
        {
            items.Add(new RecommendedItem(item.ItemId, Math.Round(item.Score, 6), item.Reason, item.Explored, Contributions(item.Contributions)) { Rules = item.Rules, ReasonKind = item.BuyAgain ? BuyAgainReason.Kind : null });
        }

        return new RecommendationResponse(recommendationId, _userId, cohortId, label, result.Strategy, items, result.ModelVersion, result.Fallback, result.FallbackReason)
        {
            ProvisionalCohort = provisional,
            Experiment = experiment?.ExperimentId,
            Variant = experiment?.Variant,
            Ranker = result.Ranker,
        };
    }

    /// <summary>
    /// Purchased and dismissed items, never recommended. Most users have neither, and they share one empty set
    /// instead of a new set per request (performance only: the pipeline reads the set, never writes it).
    /// </summary>
    private static IReadOnlySet<string> ExcludedItems(UserProfile profile)
    {
        if (profile.PurchasedItems.Count == 0 && profile.DismissedItems.Count == 0)
        {
            return NoExcludedItems;
        }

        var excluded = new HashSet<string>(profile.PurchasedItems, StringComparer.Ordinal);
        excluded.UnionWith(profile.DismissedItems);
        return excluded;
    }

    /// <summary>Before the first trained model: live cohort popularity, then global popularity.</summary>
    private RecommendationResponse RecommendByPopularity(RecommendationRequest request, string recommendationId)
    {
        var s = _state;
        var cohort = s.CohortId is { } id ? _services.Cohorts.Get(id) : null;
        var label = s.CohortId is { } cid ? _services.Segmentation.LabelOf(cid) ?? cohort?.Label : null;
        var result = PopularityServing.Recommend(new PopularityRequest
        {
            CohortTop = ToScored(cohort?.TopItems),
            GlobalTop = ToScored(_services.Cohorts.Get(CohortSnapshotCache.Global)?.TopItems),
            CohortLabel = label,
            Excluded = ExcludedItems(s.Profile),
            IsAvailable = _services.Catalog.AvailabilityLookup,
            CategoriesOf = _services.Catalog.CategoriesLookup,
            IncludeCategories = request.IncludeCategories,
            ExcludeCategories = request.ExcludeCategories,
            Count = request.Count,
        });

        var items = new List<RecommendedItem>(result.Items.Count);
        foreach (var item in result.Items)
        {
            items.Add(new RecommendedItem(item.ItemId, Math.Round(item.Score, 6), item.Reason));
        }

        return new RecommendationResponse(recommendationId, _userId, s.CohortId, label, result.Strategy, items);
    }

    private static List<ScoreContribution>? Contributions(IReadOnlyList<FeatureContribution>? contributions)
    {
        if (contributions is null)
        {
            return null;
        }

        var result = new List<ScoreContribution>(contributions.Count);
        foreach (var c in contributions)
        {
            result.Add(new ScoreContribution(c.Feature, Math.Round(c.Value, 6)));
        }

        return result;
    }

    /// <summary>
    /// Remembers a non-empty response for attribution (its entry is recycled from the oldest one once the user's
    /// list is full: no new entry per request) and counts its exposure: outcomes per strategy, and every served item
    /// as an impression of the cohort's bandit arm.
    /// </summary>
    private void RememberServed(Guid id, DateTimeOffset now, RecommendationResponse response, ExperimentServing? experiment, SlotDecision[]? decisions)
    {
        var items = response.Items;
        if (items.Count == 0)
        {
            return;
        }

        var served = _state.Remember(id, now, response.CohortId, response.ModelVersion ?? 0, RecommendationIds.StrategyOf(response.Strategy), items.Count, _services.Settings.State);
        for (var i = 0; i < items.Count; i++)
        {
            served.SetSlot(i, items[i].ItemId, items[i].Explored, decisions is { } d && i < d.Length ? d[i] : default, items[i].Rules is [var rule, ..] ? rule : null, items[i].ReasonKind == BuyAgainReason.Kind);
        }

        // The exposure and every outcome attributed to it count under the experiment's variant; a cohort the
        // guardrail returned to the baseline is served the baseline but no longer counted.
        if (experiment is { Counted: true } e)
        {
            served.Experiment = e.ExperimentId;
            served.Variant = e.Variant;
        }

        served.RecordExposure(_services.Outcomes);
        _services.Activity.RecordImpressions(response.CohortId, served);
    }

    private static IReadOnlyList<ScoredItem> ToScored(IReadOnlyList<ItemScore>? items)
    {
        if (items is null)
        {
            return [];
        }

        var result = new ScoredItem[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            result[i] = new ScoredItem(items[i].ItemId, items[i].Score);
        }

        return result;
    }
}
