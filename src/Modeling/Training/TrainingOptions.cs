using System.ComponentModel.DataAnnotations;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>
/// Settings of a training run (bound from Cohortly:Training). Model defaults are the ML-100K-tuned shapes of
/// docs/benchmarks-modeling.md at the speed-goal size (iALS 64 factors / 15 iterations, λ = 30, α = 3; item-kNN k = 50,
/// shrinkage 50, asymmetry 0.1, inverse user frequency); the global backbone blends iALS and item-kNN 1 : 0.5.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Rating events at or above this value count as positive interactions; lower ratings only shape profiles.</summary>
    public double PositiveRating { get; init; } = 3;

    public SegmentationOptions Segmentation { get; init; } = new();

    public ProfileOptions Profile { get; init; } = ProfileOptions.Default;

    [Range(1, 1024)]
    public int Factors { get; init; } = 64;

    public int Seed { get; init; } = 42;

    /// <summary>
    /// What event ages are measured against (Cohortly:Training:ReferenceTime): the newest event (default; the model is
    /// a function of the log, so a replay gives the same model on any date) or the wall clock.
    /// </summary>
    public TrainingReferenceTime ReferenceTime { get; init; } = TrainingReferenceTime.NewestEvent;

    /// <summary>
    /// The drift reference's activity window (Cohortly:Training:DriftReferenceWindow): the version's feature reference
    /// describes the users active within it before the log's newest event, and the drift monitor selects the live
    /// sample by the same window (recorded in the version).
    /// </summary>
    public TimeSpan DriftReferenceWindow { get; init; } = Drift.ActivePopulation.DefaultWindow;

    /// <summary>Share of each eligible user's positives held out for selection and metrics (never served from).</summary>
    [Range(0.01, 0.5)]
    public double HoldoutFraction { get; init; } = 0.1;

    /// <summary>Users with fewer positives keep all of them for training and take no part in selection.</summary>
    [Range(2, int.MaxValue)]
    public int HoldoutMinPositives { get; init; } = 5;

    /// <summary>
    /// At most this many eligible users (a seeded sample) give a holdout. Selection, holdout metrics, promotion and the
    /// ranker score every item for every holdout user, so without a bound a million-user log costs a million dense
    /// scorings per stage; 10,000 users measure NDCG@10 to about ±0.005 and leave every smaller log's split unchanged.
    /// </summary>
    [Range(100, int.MaxValue)]
    public int HoldoutMaxUsers { get; init; } = 10_000;

    [Range(1, 200)]
    public int IalsIterations { get; init; } = 15;

    [Range(0, 10_000)]
    public float IalsRegularization { get; init; } = 30f;

    [Range(0, 10_000)]
    public float IalsAlpha { get; init; } = 3f;

    [Range(1, 10_000)]
    public int KnnNeighbors { get; init; } = 50;

    [Range(0, 10_000)]
    public float KnnShrinkage { get; init; } = 50f;

    [Range(0, 1)]
    public float KnnAsymmetry { get; init; } = 0.1f;

    public bool KnnInverseUserFrequency { get; init; } = true;

    /// <summary>
    /// Global weight of the EASE signal ("ease"): EASE's item-item regression truncated to <see cref="EaseNeighbors"/>
    /// weights per item, stored and scored as item-kNN's neighbour lists (ItemKnnRecommender.Ease.cs). 0 (the default)
    /// leaves it out of the run — no fit, no memory, no serving cost; training's tuner may set it when the three-way
    /// blend beats the configured one by its significance rule. Fitted only while the catalog has at most
    /// <see cref="EaseMaxItems"/> items.
    /// </summary>
    [Range(0, 100)]
    public float EaseWeight { get; init; }

    /// <summary>EASE's λ (the L2 penalty on the item-item weights), the tuner's starting point.</summary>
    [Range(1, 1_000_000)]
    public float EaseRegularization { get; init; } = 250f;

    /// <summary>EASE weights kept per item (the largest by magnitude): serving memory is items × this.</summary>
    [Range(1, 10_000)]
    public int EaseNeighbors { get; init; } = 400;

    /// <summary>
    /// The largest catalog EASE is fitted on: its solve is dense (n² doubles — 72 MB at 3,000 items — and n³ time per
    /// fit, once per λ the tuner tries). Above it the run has no EASE signal (whatever <see cref="EaseWeight"/> says) and
    /// tuning does not try it; the blend is then iALS and the cosine item-kNN as before. 0 turns EASE off everywhere
    /// (a run then tunes and trains exactly the models it did before EASE was added).
    /// </summary>
    [Range(0, 20_000)]
    public int EaseMaxItems { get; init; } = 3_000;

    /// <summary>Global weight of the iALS signal in the backbone (standardized scores are summed with these weights).</summary>
    [Range(0, 100)]
    public float IalsWeight { get; init; } = 1f;

    [Range(0, 100)]
    public float KnnWeight { get; init; } = 0.5f;

    /// <summary>
    /// Global popularity starts at 0: self-tuning weighs it in where the tuning split asks for it (the blend weight axis
    /// <c>blend.w_popularity</c>), and cohorts may still adopt it (and their own popularity) on holdout evidence.
    /// </summary>
    [Range(0, 100)]
    public float PopularityWeight { get; init; }

    /// <summary>Content similarity (only when the catalog has categories); 0 globally, available to cohorts.</summary>
    [Range(0, 100)]
    public float ContentWeight { get; init; }

    /// <summary>
    /// The promotion gate (<see cref="PromotionGate"/>): the relative NDCG@10 drop against the active version, on the
    /// same holdout, that a new version may show overall and in each cohort it adapts and still become active.
    /// 0.02 allows a 2 % drop (holdout noise); 0 demands not worse; 1 promotes whatever the comparison says.
    /// </summary>
    [Range(0.0, 1.0)]
    public double PromotionTolerance { get; init; } = 0.02;

    /// <summary>
    /// Comparable holdout users needed for the gate to decide: fewer overall promotes without a comparison; a cohort
    /// with fewer is reported but not gated.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int PromotionMinUsers { get; init; } = 30;

    /// <summary>Per-cohort weight search and the out-of-fold adoption gate.</summary>
    public CohortStrategyOptions Cohorts { get; init; } = new();

    /// <summary>
    /// The serving policy training proposes for every cohort (exploration, MMR λ, exploration slots); each cohort grain
    /// adopts it when the model becomes active unless an operator has overridden it.
    /// </summary>
    public ServingPolicy DefaultPolicy { get; init; } = ServingPolicy.Default;

    /// <summary>Fit the learned re-ranker (LambdaMART over the blend's candidates) and serve it where it beats the blend.</summary>
    public bool Ranker { get; init; } = true;

    /// <summary>How many of the blend's best eligible items the ranker re-orders (it learns and is compared on as many).</summary>
    [Range(10, 500)]
    public int RankerCandidates { get; init; } = 50;

    /// <summary>Comparison users a cohort needs before the ranker may serve it (fewer: reported, blend serves).</summary>
    [Range(1, int.MaxValue)]
    public int RankerMinUsers { get; init; } = 20;

    /// <summary>The ranker serves a cohort when its NDCG gain over the blend is at least this many standard errors (and positive).</summary>
    [Range(0.0, 10.0)]
    public double RankerMinGainStandardErrors { get; init; } = 1.0;

    /// <summary>LightGBM settings of the ranker.</summary>
    public Ranking.CandidateRankerOptions RankerModel { get; init; } = new();

    /// <summary>How repeat cycles are learned and when a repeat item is due (Cohortly:Training:Repeats; the buy-again stage).</summary>
    public Repeats.RepeatOptions Repeats { get; init; } = new();

    /// <summary>The purchase model predicts a purchase within this window (and learns from the last window of the log).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan PurchaseWindow { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Share of the purchase model's users held out for its ROC-AUC, log loss and reliability table.</summary>
    [Range(0.05, 0.5)]
    public double PurchaseHoldoutFraction { get; init; } = 0.2;

    /// <summary>Buyers and non-buyers each needed among the purchase model's training users (fewer: no model, with the reason).</summary>
    [Range(1, int.MaxValue)]
    public int PurchaseMinClassUsers { get; init; } = 10;

    /// <summary>
    /// Self-tuning (Cohortly:Training:Tuning, <see cref="TrainingTuner"/>): the run chooses item-kNN's and iALS's
    /// hyper-parameters and the blend weights on a split of its training part, starting from the values above.
    /// </summary>
    public TrainingTuningOptions Tuning { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Segmentation);
        ArgumentNullException.ThrowIfNull(Profile);
        ArgumentNullException.ThrowIfNull(Cohorts);
        var context = new ValidationContext(this);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, context, results, validateAllProperties: true))
        {
            throw new ArgumentException($"invalid training options: {results[0].ErrorMessage}");
        }

        if (DriftReferenceWindow <= TimeSpan.Zero)
        {
            throw new ArgumentException($"invalid training options: DriftReferenceWindow must be positive (was {DriftReferenceWindow}).");
        }

        if (!Enum.IsDefined(ReferenceTime))
        {
            throw new ArgumentException($"invalid training options: ReferenceTime must be {nameof(TrainingReferenceTime.NewestEvent)} or {nameof(TrainingReferenceTime.WallClock)}");
        }

        ArgumentNullException.ThrowIfNull(Tuning);
        Tuning.Validate();
        ArgumentNullException.ThrowIfNull(RankerModel);
        ArgumentNullException.ThrowIfNull(Repeats);
        Repeats.Validate();
        results.Clear();
        if (!Validator.TryValidateObject(RankerModel, new ValidationContext(RankerModel), results, validateAllProperties: true))
        {
            throw new ArgumentException($"invalid training options: RankerModel: {results[0].ErrorMessage}");
        }

        if (!double.IsFinite(PositiveRating))
        {
            throw new ArgumentException("invalid training options: PositiveRating must be a finite number");
        }

        ArgumentNullException.ThrowIfNull(DefaultPolicy);
        if (DefaultPolicy.Validate() is { Count: > 0 } policyErrors)
        {
            throw new ArgumentException($"invalid training options: DefaultPolicy.{policyErrors[0].Field} {policyErrors[0].Message}");
        }

        if (IalsWeight == 0 && KnnWeight == 0 && PopularityWeight == 0 && ContentWeight == 0 && EaseWeight == 0)
        {
            throw new ArgumentException("invalid training options: at least one backbone weight must be positive");
        }
    }
}
