using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Repeats;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>
/// What training decided for one cohort, with the holdout evidence: NDCG@K on the cohort's holdout users with global
/// weights and with the served weights (equal when not adapted), the two-fold out-of-fold gain the adoption rested on,
/// and the served weights by signal name ("ials", "itemknn", "popularity", "content" and "ease" when present, "cohort_pop").
/// </summary>
public sealed record CohortModelReport(
    int CohortId,
    string Label,
    int TrainingUsers,
    int HoldoutUsers,
    bool Adapted,
    double GlobalNdcg,
    double AdaptedNdcg,
    double OutOfFoldGain,
    IReadOnlyDictionary<string, float> Weights);

/// <summary>Wall-clock time of one training stage.</summary>
public sealed record StageTiming(string Stage, double Seconds);

/// <summary>
/// Data volumes and holdout accuracy of a training run. The holdout NDCG@K values are means over the holdout users of
/// the backbone fitted without the holdout, with global weights vs the served (per-cohort selected) weights; the same
/// holdout chose the weights, so the cohort number is optimistic — each cohort's out-of-fold gain
/// (<see cref="CohortModelReport.OutOfFoldGain"/>) is the unbiased evidence.
/// </summary>
public sealed record TrainingSummary(
    long Events,
    int Users,
    int Items,
    int Cohorts,
    double HoldoutNdcgGlobal,
    double HoldoutNdcgCohort,
    IReadOnlyList<StageTiming> Stages)
{
    /// <summary>
    /// Log rows the run left out because they break the documented bounds (see <c>InteractionBounds</c>). Reported in
    /// the training status; not part of the stored artifact.
    /// </summary>
    public long SkippedEvents { get; init; }
}

/// <summary>
/// Everything one training run produced, loaded by every silo's model cache and served from there: the segmentation
/// (stable cohort ids), the global backbone with per-cohort weights, the item neighbours, the content model for cold
/// start, per-item context statistics, a provisional-cohort model for users known only by attributes, per-cohort
/// reports and serving policies. Immutable once built; every scoring method may run on many threads at once.
/// </summary>
public sealed class ModelBundle
{
    public required long Version { get; init; }

    public required DateTimeOffset TrainedAt { get; init; }

    /// <summary>
    /// The instant the run measured event ages at (<see cref="TrainingReferenceTime"/>): the newest event by default,
    /// the wall clock of the run otherwise. Serving measures live profiles at <see cref="ModelClock.FeatureTime"/>.
    /// </summary>
    public required DateTimeOffset ReferenceTime { get; init; }

    public required SegmentationModel Segmentation { get; init; }

    /// <summary>
    /// What the run publishes about <see cref="Segmentation"/> (transitions against the previous version, sampled users
    /// per cohort, match distances). Published once by the training grain; not part of the stored artifact, so null on a
    /// loaded bundle.
    /// </summary>
    public SegmentationVersion? SegmentationVersion { get; init; }

    /// <summary>
    /// The promotion gate's verdict against the model that was active when this version was trained. Decided once by the
    /// run; not part of the stored artifact, so null on a loaded bundle.
    /// </summary>
    public PromotionDecision? Promotion { get; init; }

    /// <summary>Item index → external id (the index space of every model below).</summary>
    public required IReadOnlyList<string> ItemIds { get; init; }

    /// <summary>Per item index: title, categories, tags (empty metadata when unknown).</summary>
    public required IReadOnlyList<ItemMetadata> Items { get; init; }

    /// <summary>User index → external id (users of the training log).</summary>
    public required IReadOnlyList<string> UserIds { get; init; }

    /// <summary>Users × items positive training interactions (what fold-in starts from for a known user).</summary>
    public required SparseMatrix UserItems { get; init; }

    /// <summary>
    /// User index → the stable cohort id training put the user in (from the replayed profile at training time); empty
    /// when unknown. Live profiles re-assign through <see cref="Segmentation"/>.
    /// </summary>
    public IReadOnlyList<int> UserCohortIds { get; init; } = [];

    /// <summary>Global backbone + per-cohort weights; group index g stands for cohort <see cref="GroupCohortIds"/>[g].</summary>
    public required CohortAwareRecommender Scorer { get; init; }

    /// <summary>Group index → stable cohort id.</summary>
    public required IReadOnlyList<int> GroupCohortIds { get; init; }

    /// <summary>Item-to-item neighbours (similar items, "because you viewed" reasons). Also one of the scorer's signals.</summary>
    public required ItemKnnRecommender Neighbors { get; init; }

    /// <summary>Latent factors (fold-in of recent items); also one of the scorer's signals.</summary>
    public required IalsRecommender Factors { get; init; }

    /// <summary>Global popularity over the training log.</summary>
    public required PopularityRecommender Popularity { get; init; }

    /// <summary>Content model over item metadata (cold start); null when the catalog has no metadata.</summary>
    public ContentRecommender? Content { get; init; }

    /// <summary>Per-item device and time-of-day statistics for the context re-rank.</summary>
    public required ContextStatistics Context { get; init; }

    /// <summary>Cohort for a user with attributes/context but no history.</summary>
    public required ProvisionalCohortModel Provisional { get; init; }

    public required IReadOnlyList<CohortModelReport> Cohorts { get; init; }

    /// <summary>
    /// Training's proposal per cohort id; cohorts not listed use <see cref="DefaultPolicy"/>. The cohort grain adopts the
    /// proposal when this version becomes active, unless an operator overrides it.
    /// </summary>
    public required IReadOnlyDictionary<int, ServingPolicy> Policies { get; init; }

    public ServingPolicy DefaultPolicy { get; init; } = ServingPolicy.Default;

    public required TrainingSummary Summary { get; init; }

    /// <summary>What the run's self-tuning chose (null: trained before training tuned itself).</summary>
    public TuningReport? Tuning { get; init; }

    /// <summary>The learned re-ranker and where it beat the blend (format 3; null in older bundles and when not trained).</summary>
    public RankerModel? Ranker { get => _ranker; init => _ranker = value; }

    private RankerModel? _ranker;

    /// <summary>
    /// The same models with another ranker: training's probe once its ranker is fitted, which the promotion gate scores
    /// as the candidate serves. A shallow copy: every other part is shared, none depends on the ranker.
    /// </summary>
    internal ModelBundle WithRanker(RankerModel? ranker)
    {
        var copy = (ModelBundle)MemberwiseClone();
        copy._ranker = ranker;
        return copy;
    }

    /// <summary>The calibrated purchase-likelihood model with its holdout metrics (format 3; null in older bundles).</summary>
    public PurchaseModelReport? Purchase { get; init; }

    /// <summary>
    /// Learned repeat cycles and the users' repeat purchases (the buy-again stage reads them); null for bundles written
    /// before format 5, which serve no buy-again slots.
    /// </summary>
    public RepeatModel? Repeats { get; init; }

    private Dictionary<string, int>? _itemIndex;
    private Dictionary<string, int>? _userIndex;
    private Dictionary<int, int>? _groupIndex;

    public int? ItemIndex(string itemId) =>
        (_itemIndex ??= IndexOf(ItemIds)).TryGetValue(itemId, out var i) ? i : null;

    public int? UserIndex(string userId) =>
        (_userIndex ??= IndexOf(UserIds)).TryGetValue(userId, out var u) ? u : null;

    /// <summary>Group index of a stable cohort id, or null when this bundle has no model for it (serve global).</summary>
    public int? GroupOf(int cohortId)
    {
        if (_groupIndex is null)
        {
            var map = new Dictionary<int, int>(GroupCohortIds.Count);
            for (var g = 0; g < GroupCohortIds.Count; g++)
            {
                map[GroupCohortIds[g]] = g;
            }

            _groupIndex = map;
        }

        return _groupIndex.TryGetValue(cohortId, out var group) ? group : null;
    }

    private static Dictionary<string, int> IndexOf(IReadOnlyList<string> ids)
    {
        var map = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            map[ids[i]] = i;
        }

        return map;
    }

    public ServingPolicy PolicyOf(int? cohortId) =>
        cohortId is { } id && Policies.TryGetValue(id, out var p) ? p : DefaultPolicy;

    /// <summary>Cohort id training assigned to a user of the log, or null for a user the bundle does not know.</summary>
    public int? TrainedCohortOf(string userId) =>
        UserIndex(userId) is { } u && u < UserCohortIds.Count ? UserCohortIds[u] : null;

    /// <summary>Versioned binary artifact (magic number, format version, then every part); read with <see cref="FromBytes"/>.</summary>
    public byte[] ToBytes() => ModelBundleFormat.Write(this);

    /// <summary>Reads an artifact written by <see cref="ToBytes"/>; <see cref="InvalidDataException"/> when it is not one.</summary>
    public static ModelBundle FromBytes(ReadOnlySpan<byte> bytes) => ModelBundleFormat.Read(bytes);
}
