using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Serving;

/// <summary>Bandit evidence for one item in one cohort: times shown and reward collected (clicks/purchases on it).</summary>
public readonly record struct ArmEvidence(long Impressions, double Rewards, DateTimeOffset FirstSeen);

/// <summary>A live cohort-popularity entry (from the cohort grain's decayed top items, newer than the trained model).</summary>
public readonly record struct TrendingItem(string ItemId, double Score);

/// <summary>Everything the pipeline needs to know about one request; built by the user grain from its state.</summary>
public sealed record ServingRequest
{
    public required string UserId { get; init; }

    /// <summary>
    /// The bundle's row of this user describes a past the user had erased (or data they withheld): serve as if the
    /// model did not know them.
    /// </summary>
    public bool IgnoreTrainedRow { get; init; }

    /// <summary>Stable cohort id of the user (or of the provisional cohort), null when unknown.</summary>
    public int? CohortId { get; init; }

    public string? CohortLabel { get; init; }

    /// <summary>True when <see cref="CohortId"/> comes from attributes/context, not history.</summary>
    public bool ProvisionalCohort { get; init; }

    /// <summary>The profile's recent items, oldest first (includes events newer than the model: freshness).</summary>
    public IReadOnlyList<RecentItem> RecentItems { get; init; } = [];

    /// <summary>
    /// Ratings at or above this count as positive when a recent rating is folded in (training's
    /// <c>PositiveRating</c>); a lower rating is never treated as interest. Null folds every rating in.
    /// </summary>
    public double? PositiveRating { get; init; }

    /// <summary>Never recommended: purchased, dismissed, rated.</summary>
    public IReadOnlySet<string> Excluded { get; init; } = new HashSet<string>();

    /// <summary>Live availability from the catalog; null treats every item as available.</summary>
    public Func<string, bool>? IsAvailable { get; init; }

    /// <summary>
    /// The same availability for the bundle's items, indexed like its item ids (true = not available), when the caller
    /// keeps one per catalog version and bundle: a flag read instead of a lookup by id for every candidate. When set,
    /// <see cref="IsAvailable"/> is asked only about items the bundle does not know.
    /// </summary>
    public IReadOnlyList<bool>? UnavailableItems { get; init; }

    /// <summary>Live categories of an item (catalog), for request filters on items newer than the model; null uses the bundle's metadata.</summary>
    public Func<string, IReadOnlyList<string>?>? CategoriesOf { get; init; }

    public IReadOnlyList<string>? IncludeCategories { get; init; }

    public IReadOnlyList<string>? ExcludeCategories { get; init; }

    public string? Device { get; init; }

    /// <summary>The request's declared context keys other than the device (country, referrer, page type), for the context re-rank.</summary>
    public IReadOnlyDictionary<string, string>? Context { get; init; }

    /// <summary>The operator's merchandising rules (the silo's compiled copy); null or empty: none.</summary>
    public Rules.RuleBook? Rules { get; init; }

    /// <summary>The live catalog's record of an item (categories, tags, price) for rules; null uses the bundle's metadata without prices.</summary>
    public Func<string, Events.ItemInfo?>? ItemOf { get; init; }

    public required DateTimeOffset Now { get; init; }

    public int Count { get; init; } = 10;

    public bool Explain { get; init; }

    /// <summary>False switches the exploration step off (offline parity checks, debugging).</summary>
    public bool Explore { get; init; } = true;

    /// <summary>Bandit evidence of the user's cohort; null when none is known yet.</summary>
    public Func<string, ArmEvidence?>? Arms { get; init; }

    /// <summary>Live cohort popularity (newest signal, covers items newer than the model), best first.</summary>
    public IReadOnlyList<TrendingItem> CohortTrending { get; init; } = [];

    /// <summary>Live global popularity, best first (last resort for candidates).</summary>
    public IReadOnlyList<TrendingItem> GlobalTrending { get; init; } = [];

    /// <summary>Seed for exploration; the grain passes a per-request seed.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// The cohort's policy in effect, as its cohort grain published it (training's proposal or an operator's
    /// override, from the silo's snapshot cache); null serves the bundle's policy for the cohort.
    /// </summary>
    public Training.ServingPolicy? Policy { get; init; }

    /// <summary>
    /// Score with the global blend weights even when the cohort has adapted ones (an experiment's
    /// <c>global-baseline</c> arm). Not a fallback: the response says <c>global-model</c> without a fallback reason.
    /// </summary>
    public bool GlobalWeights { get; init; }

    /// <summary>
    /// The live profile's features (<c>ProfileFeatures.Extract</c> at <see cref="Now"/>), read by the learned ranker and
    /// the purchase model; null describes the user by zeros.
    /// </summary>
    public float[]? ProfileFeatures { get; init; }

    /// <summary>
    /// The learned ranker on (true: for any cohort, when the bundle has one) or off (false) for this request, as an
    /// experiment's treatment says; null serves it where training found it beats the blend.
    /// </summary>
    public bool? UseRanker { get; init; }

    /// <summary>
    /// At most this many leading slots go to the user's due repeat purchases ("buy again", <c>BuyAgainStage</c>); 0
    /// (the default) serves none.
    /// </summary>
    public int BuyAgainSlots { get; init; }

    /// <summary>
    /// The live catalog's repeat policy of an item (its own, else its category's, else the default); null treats every
    /// item as <see cref="Repeats.RepeatPolicy.Never"/>, so nothing bought is recommended again.
    /// </summary>
    public Func<string, Repeats.RepeatPolicy>? RepeatPolicyOf { get; init; }
}

/// <summary>One feature's contribution to an item's score (explain=true).</summary>
public sealed record FeatureContribution(string Feature, double Value);

public sealed record ServedItem(string ItemId, double Score, string Reason, bool Explored, IReadOnlyList<FeatureContribution>? Contributions)
{
    /// <summary>Ids of the merchandising rules that changed this item's score or slot (boost, bury, pin); null when none.</summary>
    public IReadOnlyList<string>? Rules { get; init; }

    /// <summary>True for a buy-again slot (a due repeat purchase); its outcomes count under the buy-again strategy.</summary>
    public bool BuyAgain { get; init; }
}

/// <summary>
/// The answer: items, the strategy used, and whether the user's cohort had to be served by the global model
/// (<see cref="Fallback"/>, with <see cref="FallbackReason"/>).
/// </summary>
public sealed record ServingResult(
    IReadOnlyList<ServedItem> Items,
    string Strategy,
    long ModelVersion,
    bool Fallback,
    string? FallbackReason)
{
    /// <summary>Per item, the exploration policy's logged slot decision (ε-greedy only; null otherwise): what off-policy evaluation reads.</summary>
    public Exploration.SlotDecision[]? Decisions { get; init; }

    /// <summary>True when the learned ranker ordered the candidates (<c>RankerStage</c>).</summary>
    public bool Ranker { get; init; }
}
