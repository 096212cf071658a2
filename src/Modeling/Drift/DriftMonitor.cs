using System.Globalization;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Drift;

/// <summary>The drift detectors the monitor runs.</summary>
public enum DriftDetectorKind
{
    /// <summary>A cohort's clicks per impression shifted (<see cref="RateShiftDetector"/> over its minute buckets).</summary>
    RewardRate = 0,

    /// <summary>A segmentation feature's distribution in the live sample moved from the version's population (PSI).</summary>
    FeaturePsi = 1,

    /// <summary>The live sample's spread over cohorts moved from the version's sampled shares (PSI over cohorts).</summary>
    CohortShare = 2,

    /// <summary>The share of responses served by popularity or cold start jumped (per cohort, and over all cohorts).</summary>
    FallbackShare = 3,
}

/// <summary>
/// One detection: which detector, about which cohort (null: the whole population), the statistic, its value against
/// the threshold, and a sentence.
/// </summary>
public sealed record DriftDetection(
    DriftDetectorKind Detector,
    int? CohortId,
    string Statistic,
    double Value,
    double Threshold,
    string Message)
{
    /// <summary>The detector's stable name, used as the alert source ("drift-reward-rate", ...).</summary>
    public string Source => SourceOf(Detector);

    /// <summary>What a cooldown is kept per: the detector and the cohort.</summary>
    public string CooldownKey => string.Create(CultureInfo.InvariantCulture, $"{Source}/{CohortId?.ToString(CultureInfo.InvariantCulture) ?? "all"}");

    public static string SourceOf(DriftDetectorKind detector) => detector switch
    {
        DriftDetectorKind.RewardRate => "drift-reward-rate",
        DriftDetectorKind.FeaturePsi => "drift-feature-psi",
        DriftDetectorKind.CohortShare => "drift-cohort-share",
        DriftDetectorKind.FallbackShare => "drift-fallback-share",
        _ => throw new ArgumentOutOfRangeException(nameof(detector), detector, null),
    };

    /// <summary>The detector named by its source ("drift-reward-rate", ...); false for any other name.</summary>
    public static bool TryParseSource(string? source, out DriftDetectorKind detector)
    {
        foreach (var kind in Enum.GetValues<DriftDetectorKind>())
        {
            if (string.Equals(SourceOf(kind), source, StringComparison.Ordinal))
            {
                detector = kind;
                return true;
            }
        }

        detector = default;
        return false;
    }

    /// <summary>What a detector's statistic is, in words (the rate detectors: the difference at the strongest cut).</summary>
    public static string StatisticOf(DriftDetectorKind detector, string? feature) => detector switch
    {
        DriftDetectorKind.RewardRate => "clicks per impression: newer − older",
        DriftDetectorKind.FallbackShare => "popularity + cold-start share of responses: newer − older",
        DriftDetectorKind.FeaturePsi => $"psi({feature})",
        DriftDetectorKind.CohortShare => "psi(cohort shares)",
        _ => throw new ArgumentOutOfRangeException(nameof(detector), detector, null),
    };
}

/// <summary>What one population check measured: its detections, each feature's PSI (empty when the feature check did not run), the users it was measured on, the cohort-share PSI (null: not measured).</summary>
public sealed record PopulationCheck(IReadOnlyList<DriftDetection> Detections, IReadOnlyList<FeaturePsi> Features, int FeatureSample, double? CohortSharePsi)
{
    public static PopulationCheck Empty { get; } = new([], [], 0, null);

    /// <summary>Each feature's PSI and the cohort-share PSI as history points, against the monitor's thresholds.</summary>
    public IReadOnlyList<DriftStatistic> Statistics(DriftMonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new List<DriftStatistic>(Features.Count + 1);
        foreach (var f in Features)
        {
            result.Add(new DriftStatistic(DriftDetectorKind.FeaturePsi, null, f.Name, f.Index, options.FeaturePsi));
        }

        if (CohortSharePsi is { } shares)
        {
            result.Add(new DriftStatistic(DriftDetectorKind.CohortShare, null, null, shares, options.CohortSharePsi));
        }

        return result;
    }
}

/// <summary>One cohort's outcomes in one minute, as the drift detectors read them.</summary>
public struct MinuteOutcome
{
    public long Impressions;
    public long Clicks;
    public long Exposures;

    /// <summary>Exposures (responses) served by popularity or cold start: the model could not serve them as trained.</summary>
    public long FallbackExposures;

    public void Add(in OutcomeKey key, in OutcomeCounts counts)
    {
        Impressions += counts.Impressions;
        Clicks += Math.Min(counts.Clicks, counts.Impressions);
        Exposures += counts.Exposures;
        if (key.Strategy is ServedStrategy.Popularity or ServedStrategy.ColdStart)
        {
            FallbackExposures += counts.Exposures;
        }
    }
}

/// <summary>Thresholds of the monitor's detectors.</summary>
/// <param name="RewardRate">The per-cohort reward-rate detector (default: decreases only; an increase is not a harm).</param>
/// <param name="FallbackShare">The fallback / cold-start share detector (default: increases only).</param>
/// <param name="FeaturePsi">A feature drifts when its PSI exceeds this (0.25: the conventional "major shift").</param>
/// <param name="CohortSharePsi">Cohort shares drift when their PSI exceeds this.</param>
/// <param name="MinLiveSample">No population check on a live sample smaller than this (the PSI of a small sample is mostly noise).</param>
public sealed record DriftMonitorOptions(
    RateShiftOptions RewardRate,
    RateShiftOptions FallbackShare,
    double FeaturePsi = 0.25,
    double CohortSharePsi = 0.25,
    int MinLiveSample = 200)
{
    public static DriftMonitorOptions Default { get; } = new(
        new RateShiftOptions(Direction: ChangeDirection.Decrease),
        new RateShiftOptions(MinTrialsPerSide: 200, Direction: ChangeDirection.Increase));

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(RewardRate);
        ArgumentNullException.ThrowIfNull(FallbackShare);
        RewardRate.Validate();
        FallbackShare.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(FeaturePsi, nameof(FeaturePsi));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CohortSharePsi, nameof(CohortSharePsi));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinLiveSample, 2, nameof(MinLiveSample));
    }
}

/// <summary>
/// The drift detectors of a cluster, fed with plain data: each cohort's outcome minutes in time order (reward rate and
/// fallback share per cohort; fallback share over all cohorts) and the live feature sample against the current
/// segmentation version (feature PSI, cohort shares). It decides only what drifted; cooldowns and actions are the
/// caller's (<see cref="DriftCooldowns"/>).
/// </summary>
public sealed class DriftMonitor
{
    private readonly DriftMonitorOptions _options;
    private readonly Dictionary<int, RateShiftDetector> _rewards = [];
    private readonly Dictionary<int, RateShiftDetector> _fallbacks = [];
    private readonly RateShiftDetector _pooledFallback;

    public DriftMonitor(DriftMonitorOptions? options = null)
    {
        _options = options ?? DriftMonitorOptions.Default;
        _options.Validate();
        _pooledFallback = new RateShiftDetector(_options.FallbackShare);
    }

    public DriftMonitorOptions Options => _options;

    /// <summary>Cohorts with a reward-rate window.</summary>
    public int Cohorts => _rewards.Count;

    /// <summary>The cohort's reward-rate window (null: none yet).</summary>
    public RateShiftDetector? RewardWindowOf(int cohortId) => _rewards.GetValueOrDefault(cohortId);

    /// <summary>
    /// Feeds one minute of every cohort that had outcomes in it (minutes must arrive in time order; a cohort missing from
    /// a minute had none) and returns what shifted. <paramref name="statistics"/>, when given, receives what each rate
    /// detector measured on this minute (<see cref="RateShiftDetector.Strongest"/>), detection or not.
    /// </summary>
    public IReadOnlyList<DriftDetection> ObserveMinute(IReadOnlyDictionary<int, MinuteOutcome> byCohort, ICollection<DriftStatistic>? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(byCohort);
        List<DriftDetection>? found = null;
        var pooled = default(MinuteOutcome);
        foreach (var (cohort, m) in byCohort)
        {
            pooled.Exposures += m.Exposures;
            pooled.FallbackExposures += m.FallbackExposures;
            var rewards = Detector(_rewards, cohort, _options.RewardRate);
            if (rewards.Add(m.Impressions, m.Clicks) is { } reward)
            {
                (found ??= []).Add(RewardDetection(cohort, reward));
            }

            Collect(statistics, DriftDetectorKind.RewardRate, cohort, rewards);
            var fallbacks = Detector(_fallbacks, cohort, _options.FallbackShare);
            if (fallbacks.Add(m.Exposures, m.FallbackExposures) is { } share)
            {
                (found ??= []).Add(FallbackDetection(cohort, share));
            }

            Collect(statistics, DriftDetectorKind.FallbackShare, cohort, fallbacks);
        }

        if (_pooledFallback.Add(pooled.Exposures, pooled.FallbackExposures) is { } all)
        {
            (found ??= []).Add(FallbackDetection(null, all));
        }

        Collect(statistics, DriftDetectorKind.FallbackShare, null, _pooledFallback);

        return found ?? (IReadOnlyList<DriftDetection>)[];
    }

    /// <summary>
    /// Compares the live sample with the population the segmentation version was fitted on: each feature's PSI (one
    /// detection naming the worst feature when any exceeds the threshold) and the PSI of the cohort shares.
    /// </summary>
    /// <param name="model">The current segmentation version's model.</param>
    /// <param name="sampleCounts">The version's sampled users per cohort (the cohort-share reference).</param>
    /// <param name="reference">The version's feature reference.</param>
    /// <param name="live">The live sample's rows.</param>
    /// <param name="liveLastSeenMs">
    /// Each live row's latest event (unix ms); needed when <paramref name="referenceWindow"/> is set, else the feature
    /// PSI is skipped (the rule cannot be applied).
    /// </param>
    /// <param name="referenceWindow">
    /// The version's <see cref="SegmentationVersion.FeatureReferenceWindow"/>: the reference is the active population
    /// in this window, so the live sample is selected by the same rule (<see cref="ActivePopulation"/>) before the PSI.
    /// </param>
    /// <param name="activeCohortCounts">
    /// The version's <see cref="SegmentationVersion.ActiveCohortCounts"/>: when set, the cohort shares compare these with
    /// the live rows the rule selects (the same rows as the feature PSI; skipped when the rule cannot be applied or either
    /// side is too small). Null: <paramref name="sampleCounts"/> against the whole live sample (versions without it).
    /// </param>
    public IReadOnlyList<DriftDetection> CheckPopulation(SegmentationModel model, IReadOnlyList<int> sampleCounts, IReadOnlyList<FeatureBins> reference, IReadOnlyList<float[]> live, IReadOnlyList<long>? liveLastSeenMs = null, TimeSpan? referenceWindow = null, IReadOnlyList<int>? activeCohortCounts = null) =>
        MeasurePopulation(model, sampleCounts, reference, live, liveLastSeenMs, referenceWindow, activeCohortCounts).Detections;

    /// <summary>
    /// <see cref="CheckPopulation"/> with every statistic it computed (each feature's PSI against the sample it was
    /// measured on, the cohort-share PSI), detections or not.
    /// </summary>
    public PopulationCheck MeasurePopulation(SegmentationModel model, IReadOnlyList<int> sampleCounts, IReadOnlyList<FeatureBins> reference, IReadOnlyList<float[]> live, IReadOnlyList<long>? liveLastSeenMs = null, TimeSpan? referenceWindow = null, IReadOnlyList<int>? activeCohortCounts = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(live);
        if (live.Count < _options.MinLiveSample)
        {
            return PopulationCheck.Empty;
        }

        var found = new List<DriftDetection>(2);
        var compared = live;
        if (referenceWindow is { } window)
        {
            compared = liveLastSeenMs is null || liveLastSeenMs.Count != live.Count
                ? []
                : Rows(ActivePopulation.Select(live, liveLastSeenMs, model.FeatureNames, window));
        }

        var psi = compared.Count < _options.MinLiveSample ? [] : FeatureReference.Compare(reference, compared);
        FeaturePsi? worst = null;
        var over = new List<string>();
        foreach (var f in psi)
        {
            if (f.Index > _options.FeaturePsi)
            {
                over.Add(string.Create(CultureInfo.InvariantCulture, $"{f.Name} {f.Index:F3}"));
                if (worst is null || f.Index > worst.Index)
                {
                    worst = f;
                }
            }
        }

        if (worst is not null)
        {
            found.Add(new DriftDetection(
                DriftDetectorKind.FeaturePsi,
                null,
                $"psi({worst.Name})",
                worst.Index,
                _options.FeaturePsi,
                string.Create(CultureInfo.InvariantCulture, $"Live sample of {compared.Count} users differs from segmentation version {model.Version}'s population in {over.Count} feature(s): {string.Join(", ", over)} (PSI > {_options.FeaturePsi}).")));
        }

        // The cohort shares follow the same rule as the feature PSI when the version recorded its active population's
        // counts; a version without them keeps the comparison it was built for (every sampled user, the whole sample).
        IReadOnlyList<int> shareReference = activeCohortCounts ?? sampleCounts;
        IReadOnlyList<float[]> shareLive = activeCohortCounts is null ? live
            : compared.Count < _options.MinLiveSample ? [] : compared;
        var shares = CohortShares.Compare(shareReference, model, shareLive);
        if (shares is not null && shares.Index > _options.CohortSharePsi)
        {
            found.Add(new DriftDetection(
                DriftDetectorKind.CohortShare,
                null,
                "psi(cohort shares)",
                shares.Index,
                _options.CohortSharePsi,
                string.Create(CultureInfo.InvariantCulture, $"Cohort shares of {shareLive.Count} live users moved from segmentation version {model.Version}'s ({Shares(model, shares)}).")));
        }

        return new PopulationCheck(found, psi, compared.Count, shares?.Index);
    }

    private static List<float[]> Rows(FeatureMatrix matrix)
    {
        var rows = new List<float[]>(matrix.Rows);
        for (var r = 0; r < matrix.Rows; r++)
        {
            rows.Add(matrix.ReadRow(r).ToArray());
        }

        return rows;
    }

    private static string Shares(SegmentationModel model, PopulationStabilityResult shares)
    {
        var parts = new string[model.CohortIds.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = string.Create(CultureInfo.InvariantCulture, $"cohort {model.CohortIds[i]}: {shares.ReferenceProportions[i]:P1} → {shares.CurrentProportions[i]:P1}");
        }

        return string.Join(", ", parts);
    }

    private static void Collect(ICollection<DriftStatistic>? statistics, DriftDetectorKind kind, int? cohort, RateShiftDetector detector)
    {
        if (statistics is not null && DriftStatistic.Of(kind, cohort, detector.Strongest) is { } statistic)
        {
            statistics.Add(statistic);
        }
    }

    private static RateShiftDetector Detector(Dictionary<int, RateShiftDetector> detectors, int cohort, RateShiftOptions options)
    {
        if (!detectors.TryGetValue(cohort, out var d))
        {
            d = new RateShiftDetector(options);
            detectors[cohort] = d;
        }

        return d;
    }

    private static DriftDetection RewardDetection(int cohort, RateShift shift) => new(
        DriftDetectorKind.RewardRate,
        cohort,
        "clicks per impression: newer − older",
        shift.Difference,
        shift.Difference < 0 ? -shift.Threshold : shift.Threshold,
        string.Create(CultureInfo.InvariantCulture, $"Cohort {cohort}'s clicks per impression moved from {shift.RateBefore:P2} ({shift.TrialsBefore} impressions) to {shift.RateAfter:P2} over its last {shift.BucketsAfter} minutes ({shift.TrialsAfter} impressions)."));

    private static DriftDetection FallbackDetection(int? cohort, RateShift shift) => new(
        DriftDetectorKind.FallbackShare,
        cohort,
        "popularity + cold-start share of responses: newer − older",
        shift.Difference,
        shift.Difference < 0 ? -shift.Threshold : shift.Threshold,
        string.Create(CultureInfo.InvariantCulture, $"{(cohort is { } c ? $"Cohort {c}'s" : "All cohorts'")} share of responses served by popularity or cold start moved from {shift.RateBefore:P2} ({shift.TrialsBefore} responses) to {shift.RateAfter:P2} over the last {shift.BucketsAfter} minutes ({shift.TrialsAfter} responses)."));
}

/// <summary>
/// When each detector last acted, per cohort: a detection within the cooldown of the previous one is suppressed
/// (counted, not alerted, no action), so a drift that persists does not retrain in a loop. Plain data to persist.
/// </summary>
public sealed class DriftCooldowns
{
    public Dictionary<string, DateTimeOffset> LastFired { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Detections suppressed per key since its last firing.</summary>
    public Dictionary<string, long> Suppressed { get; set; } = new(StringComparer.Ordinal);

    /// <summary>True (and the key's time is set) when the detection may fire now; false counts it as suppressed.</summary>
    public bool TryFire(string key, DateTimeOffset now, TimeSpan cooldown, out long suppressedBefore)
    {
        suppressedBefore = Suppressed.GetValueOrDefault(key);
        if (LastFired.TryGetValue(key, out var last) && now - last < cooldown)
        {
            Suppressed[key] = suppressedBefore + 1;
            return false;
        }

        LastFired[key] = now;
        Suppressed.Remove(key);
        return true;
    }
}
