using System.Text.Json.Serialization;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Experiments;

/// <summary>Counters of one variant in one cohort (several rows for the same pair are summed).</summary>
/// <param name="CohortId">Cohort at exposure (the stratum).</param>
/// <param name="Variant">Variant that served.</param>
/// <param name="Counts">Outcome counters.</param>
/// <param name="Units">Assigned users, when known; the sample-ratio check prefers them over exposures.</param>
public sealed record ExperimentCell(int CohortId, string Variant, OutcomeCounts Counts, long? Units = null);

/// <summary>What the analysis says a comparison supports right now; safe to read at any look.</summary>
[JsonConverter(typeof(StrictEnumConverter<ExperimentDecision>))]
public enum ExperimentDecision
{
    /// <summary>An arm is below <see cref="ExperimentDefinition.MinimumSampleSize"/>.</summary>
    [JsonStringEnumMemberName("collectMoreData")]
    CollectMoreData = 0,

    /// <summary>No significant difference yet; keep running.</summary>
    [JsonStringEnumMemberName("keepRunning")]
    KeepRunning = 1,

    /// <summary>The variant is significantly better than the baseline.</summary>
    [JsonStringEnumMemberName("variantBetter")]
    VariantBetter = 2,

    /// <summary>The variant is significantly worse than the baseline.</summary>
    [JsonStringEnumMemberName("variantWorse")]
    VariantWorse = 3,

    /// <summary>The observed split does not match the configured one (SRM): no effect can be trusted.</summary>
    [JsonStringEnumMemberName("allocationBroken")]
    AllocationBroken = 4,
}

/// <summary>A variant's totals in a stratum.</summary>
/// <param name="Variant">Variant name.</param>
/// <param name="Counts">Summed counters.</param>
/// <param name="PrimaryValue">The primary metric (rate or revenue per impression; 0 without units).</param>
/// <param name="ProbabilityBest">Beta–Binomial P(this arm has the highest rate); null for revenue.</param>
public sealed record ArmSummary(string Variant, OutcomeCounts Counts, double PrimaryValue, double? ProbabilityBest);

/// <summary>A variant against the baseline on one metric in one stratum.</summary>
/// <param name="Variant">The compared variant.</param>
/// <param name="Metric">The metric.</param>
/// <param name="BaselineUnits">Baseline units (exposures, or impressions for revenue).</param>
/// <param name="VariantUnits">Variant units.</param>
/// <param name="BaselineValue">Baseline rate or mean (pooled: the stratum-weighted baseline).</param>
/// <param name="VariantValue">Variant rate or mean (pooled: baseline + pooled difference).</param>
/// <param name="Difference">Absolute lift, variant − baseline.</param>
/// <param name="DifferenceLower">Lower end of the fixed-horizon 95 % interval (Wald, Welch for revenue).</param>
/// <param name="DifferenceUpper">Upper end of that interval.</param>
/// <param name="RelativeLift">Difference / baseline; null when the baseline is 0.</param>
/// <param name="RelativeLiftLower">Delta-method lower end for the relative lift.</param>
/// <param name="RelativeLiftUpper">Delta-method upper end.</param>
/// <param name="PValue">Fixed-horizon p-value (two-proportion z, Welch t). Informational: valid only at a planned single look.</param>
/// <param name="Sequential">The always-valid test: p-value and confidence sequence. Decisions read this.</param>
/// <param name="AdjustedPValue">Holm-adjusted always-valid p-value across cohorts × variants (primary); the raw one otherwise.</param>
/// <param name="Decision">The decision rule's verdict.</param>
public sealed record MetricComparison(
    string Variant,
    ExperimentMetric Metric,
    long BaselineUnits,
    long VariantUnits,
    double BaselineValue,
    double VariantValue,
    double Difference,
    double DifferenceLower,
    double DifferenceUpper,
    double? RelativeLift,
    double? RelativeLiftLower,
    double? RelativeLiftUpper,
    double PValue,
    SequentialTestResult Sequential,
    double AdjustedPValue,
    ExperimentDecision Decision);

/// <summary>One stratum (a cohort, or the stratified pool with a null cohort).</summary>
public sealed record StratumResult(
    int? CohortId,
    IReadOnlyList<ArmSummary> Arms,
    IReadOnlyList<MetricComparison> Primary,
    IReadOnlyList<MetricComparison> Guardrails,
    SampleRatioMismatchResult? SampleRatio);

/// <summary>The guardrail rule fired: return this cohort to the baseline.</summary>
/// <param name="CohortId">Cohort to return to baseline.</param>
/// <param name="Variant">Variant that harmed the guardrail.</param>
/// <param name="Evidence">The guardrail comparison (always-valid p-value and confidence sequence).</param>
public sealed record ReturnToBaseline(int CohortId, string Variant, MetricComparison Evidence);

/// <summary>An experiment read at one look.</summary>
public sealed record ExperimentReport(
    string ExperimentId,
    IReadOnlyList<StratumResult> Cohorts,
    StratumResult Pooled,
    IReadOnlyList<ReturnToBaseline> GuardrailActions);
