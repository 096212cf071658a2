using System.ComponentModel.DataAnnotations;

namespace Cohortly.Modeling.Training;

/// <summary>
/// Settings of training's self-tuning (Cohortly:Training:Tuning, <see cref="TrainingTuner"/>): the budget is a number of
/// configurations, so the same log and seed choose the same configuration on any machine; the cap is a wall-clock
/// safety stop that makes a run depend on the machine only when it fires (the run then says so).
/// </summary>
public sealed record TrainingTuningOptions
{
    /// <summary>Off: the run trains the configured hyper-parameters and blend weights as they are.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Configurations trained and scored on the tuning split, over all searched families (item-kNN, EASE where the
    /// catalog is within <see cref="TrainingOptions.EaseMaxItems"/>, iALS, the blend weights of the three), shared in
    /// proportion to one coordinate pass over each family's axes (18 item-kNN, 5 EASE, 12 iALS, 13 blend
    /// configurations — iALS, item-kNN, EASE and global popularity weights: 48). 60 completes that pass and leaves about
    /// a quarter for growing a grid past its edge or a second pass; each family trains at least its configured start.
    /// See docs/benchmarks-modeling.md for what it costs.
    /// </summary>
    [Range(1, 10_000)]
    public int Budget { get; init; } = 60;

    /// <summary>The search stops before its budget once it has run this long (the configurations tried so far are kept).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Cap { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// At most this many users give the tuning split's validation part (a seeded sample, as the holdout's
    /// <see cref="TrainingOptions.HoldoutMaxUsers"/>): every configuration scores every item for each of them.
    /// </summary>
    [Range(100, int.MaxValue)]
    public int MaxUsers { get; init; } = 2_000;

    /// <summary>
    /// The tuner fits and scores every configuration on at most this many users: above it, a seeded sample of the
    /// training part's users (all their events; the tuning split's validation users are drawn from inside it), so the
    /// search's cost stops growing with the log and a large run completes its <see cref="Budget"/> instead of being
    /// stopped by <see cref="Cap"/>. The chosen configuration is then fitted on everything, as below it. 50,000 leaves
    /// small and medium logs as they were (the same users, the same choice) and keeps about a twentieth of a 1M-user log.
    /// <para>
    /// What does not transfer from a sample, and why nothing is rescaled: whole users are sampled, so everything per
    /// user (a history's length, iALS's user-side solve, inverse user frequency, the blend's per-request standardised
    /// scores) is as in the full data; the item catalog is kept whole, so the item-kNN entry bound
    /// (<see cref="MaxNeighborEntries"/> / items) and EASE's item limit are the full run's. Per-item counts shrink by
    /// the sampling fraction f: co-occurrences (item-kNN's cosine), the item-side Gramians of iALS and EASE. The
    /// parameters acting on them — item-kNN's shrinkage, iALS's and EASE's λ — are pseudo-counts: priors measured in
    /// observations, whose best value depends on how noisy one observation is, not on how many there are. Dividing
    /// them by f would keep the sample's similarities and factor scales unchanged, i.e. give the full log the damping
    /// fitted to a log f times sparser, so they are kept as chosen; the fewer the observations per item the more the
    /// sample favours damping and fewer neighbours (k, a number of neighbours, is not a count of users), so its bias
    /// is toward the conservative side. The run's own holdout and the promotion gate then measure the chosen
    /// configuration fitted on the whole training part, as for any tuned run.
    /// </para>
    /// </summary>
    [Range(100, int.MaxValue)]
    public int MaxFitUsers { get; init; } = 50_000;

    /// <summary>
    /// At most this many (item, weight) entries in a tuned item-kNN model: the search never tries k above this /
    /// items. The tuner keeps up to three models alive while it fits one, each k × items × 8 bytes (plus the transpose
    /// built when the bundle is written), so 50,000,000 entries hold a tuned model under about 400 MB: k ≤ 500 at
    /// 100,000 items, the whole catalog up to about 7,000 items. Without it a catalog of 100,000 items would let the
    /// search grow k toward a dense 80 GB model whenever more neighbours keep winning.
    /// </summary>
    [Range(1_000L, long.MaxValue)]
    public long MaxNeighborEntries { get; init; } = 50_000_000;

    /// <summary>
    /// The chosen blend replaces the configured one only when its mean per-user NDCG@10 gain on the tuning split is at
    /// least this many standard errors (and positive). The best of some forty configurations on one split is optimistic
    /// by selection, so a gain within noise keeps the configured values; 0 takes any gain.
    /// </summary>
    [Range(0.0, 10.0)]
    public double MinGainStandardErrors { get; init; } = 2.0;

    internal void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException($"invalid training options: Tuning: {results[0].ErrorMessage}");
        }
    }
}
