using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Outcomes;
using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>
/// One silo's outcomes for one cohort since its previous batch to that cohort, per key and minute. <see cref="Sender"/>
/// and <see cref="Sequence"/> make a resent batch idempotent: a silo resends a batch whose call failed (it may have been
/// applied before the failure) with the same sequence, and the grain applies each sender's sequence once.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.OutcomeBatch")]
public sealed record OutcomeBatch(
    [property: Id(0)] string Sender,
    [property: Id(1)] long Sequence,
    [property: Id(2)] IReadOnlyList<OutcomeEntry> Entries);

/// <summary>The counts of one key in the minute starting at <see cref="Minute"/> (UTC).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.OutcomeEntry")]
public sealed record OutcomeEntry(
    [property: Id(0)] OutcomeKey Key,
    [property: Id(1)] DateTimeOffset Minute,
    [property: Id(2)] OutcomeCounts Counts);

/// <summary>A query of outcomes: one cohort (-1: no cohort) or all (null), a range, a bucket width and a grouping.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.OutcomeQuery")]
public sealed record OutcomeQuery(
    [property: Id(0)] int? CohortId,
    [property: Id(1)] DateTimeOffset From,
    [property: Id(2)] DateTimeOffset To,
    [property: Id(3)] OutcomeGranularity Granularity,
    [property: Id(4)] OutcomeGroupBy GroupBy);

/// <summary>Outcomes per group over [From aligned down to the bucket, To), with one point per bucket that had any.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.OutcomeReport")]
public sealed record OutcomeReport(
    [property: Id(0)] DateTimeOffset From,
    [property: Id(1)] DateTimeOffset To,
    [property: Id(2)] OutcomeGranularity Granularity,
    [property: Id(3)] OutcomeGroupBy GroupBy,
    [property: Id(4)] IReadOnlyList<OutcomeGroupReport> Groups);

[GenerateSerializer, Immutable, Alias("cohortly.OutcomeGroupReport")]
public sealed record OutcomeGroupReport(
    [property: Id(0)] string Key,
    [property: Id(1)] OutcomeMetrics Total,
    [property: Id(2)] IReadOnlyList<OutcomePointReport> Points);

[GenerateSerializer, Immutable, Alias("cohortly.OutcomePointReport")]
public sealed record OutcomePointReport(
    [property: Id(0)] DateTimeOffset Start,
    [property: Id(1)] OutcomeMetrics Metrics);

/// <summary>
/// An off-policy evaluation of one cohort's logged ε-greedy slot decisions over [From aligned down to the bucket, To):
/// what each ε'-greedy candidate in <see cref="Epsilons"/> would have earned per slot decision. The report grain reads
/// hour buckets while From is within their retention, day buckets beyond.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.PolicyEvaluationQuery")]
public sealed record PolicyEvaluationQuery(
    [property: Id(0)] int CohortId,
    [property: Id(1)] DateTimeOffset From,
    [property: Id(2)] DateTimeOffset To,
    [property: Id(3)] IReadOnlyList<double> Epsilons);

/// <summary>
/// The logged slot decisions of a cohort (every exploration slot an ε-greedy policy filled, explored or greedy), the
/// clicks on them and the logging policy's own click rate per decision (Wilson 95%), and one estimate per candidate.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.PolicyEvaluationReport")]
public sealed record PolicyEvaluationReport(
    [property: Id(0)] int CohortId,
    [property: Id(1)] DateTimeOffset From,
    [property: Id(2)] DateTimeOffset To,
    [property: Id(3)] long Decisions,
    [property: Id(4)] long Clicks,
    [property: Id(5)] Estimate? LoggedCtr,
    [property: Id(6)] IReadOnlyList<CandidatePolicyEstimate> Candidates);

/// <summary>
/// One ε'-greedy candidate: its click rate per slot decision by IPS and by self-normalised IPS (95% intervals; the
/// self-normalised one by the delta method) and the effective sample size (Σw)²/Σw² of the log for it.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.CandidatePolicyEstimate")]
public sealed record CandidatePolicyEstimate(
    [property: Id(0)] double Epsilon,
    [property: Id(1)] Estimate Ips,
    [property: Id(2)] Estimate SelfNormalizedIps,
    [property: Id(3)] double EffectiveSampleSize);

/// <summary>Outcome buckets of one cohort (key = cohort id; -1 = users without a cohort).</summary>
[Alias("cohortly.IOutcomeGrain")]
public interface IOutcomeGrain : IGrainWithIntegerKey
{
    /// <summary>Key used for outcomes of users without a cohort.</summary>
    public const int NoCohort = -1;

    /// <summary>Adds a silo's batch unless this sender's sequence was already applied.</summary>
    [Alias("Apply")]
    [ResponseTimeout("00:00:05")]
    Task Apply(OutcomeBatch batch);

    /// <summary>Buckets of one granularity starting in [from aligned down, to).</summary>
    [Alias("GetRows"), ReadOnly]
    Task<IReadOnlyList<OutcomeRow>> GetRows(OutcomeGranularity granularity, DateTimeOffset from, DateTimeOffset to);
}

/// <summary>The cohort ids that ever had outcomes (each outcome grain registers itself once), for queries across cohorts.</summary>
[Alias("cohortly.IOutcomeIndexGrain")]
public interface IOutcomeIndexGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Register")]
    Task Register(int cohortId);

    [Alias("GetCohorts"), ReadOnly]
    Task<IReadOnlyList<int>> GetCohorts();
}

/// <summary>Answers outcome queries: fans out to the outcome grains and groups their rows (a stateless worker, local to the caller's silo).</summary>
[Alias("cohortly.IOutcomeReportGrain")]
public interface IOutcomeReportGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Query"), ReadOnly]
    Task<OutcomeReport> Query(OutcomeQuery query);

    /// <summary>Sums the cohort's logged slot decisions over the range and estimates each candidate ε' (src/Modeling).</summary>
    [Alias("EvaluatePolicies"), ReadOnly]
    Task<PolicyEvaluationReport> EvaluatePolicies(PolicyEvaluationQuery query);
}

// Surrogates for the Orleans-free outcome types of src/Modeling.

[GenerateSerializer, Alias("cohortly.OutcomeKeySurrogate")]
public struct OutcomeKeySurrogate
{
    [Id(0)] public int CohortId;
    [Id(1)] public long ModelVersion;
    [Id(2)] public string Experiment;
    [Id(3)] public string Variant;
    [Id(4)] public ServedStrategy Strategy;
    [Id(5)] public string? Rule;
}

[RegisterConverter]
public sealed class OutcomeKeyConverter : IConverter<OutcomeKey, OutcomeKeySurrogate>
{
    public OutcomeKey ConvertFromSurrogate(in OutcomeKeySurrogate surrogate) =>
        new(surrogate.CohortId, surrogate.ModelVersion, surrogate.Experiment ?? string.Empty, surrogate.Variant ?? string.Empty, surrogate.Strategy, surrogate.Rule);

    public OutcomeKeySurrogate ConvertToSurrogate(in OutcomeKey value) => new()
    {
        CohortId = value.CohortId,
        ModelVersion = value.ModelVersion,
        Experiment = value.Experiment,
        Variant = value.Variant,
        Strategy = value.Strategy,
        Rule = value.Rule,
    };
}

[GenerateSerializer, Alias("cohortly.OutcomeCountsSurrogate")]
public struct OutcomeCountsSurrogate
{
    [Id(0)] public long Exposures;
    [Id(1)] public long Impressions;
    [Id(2)] public long Clicks;
    [Id(3)] public long AddToCarts;
    [Id(4)] public long Purchases;
    [Id(5)] public double Revenue;
    [Id(6)] public long ClickedExposures;
    [Id(7)] public long ConvertedExposures;
    [Id(8)] public double RevenueSquares;
    [Id(9)] public SlotDecisionSums Decisions;
}

[RegisterConverter]
public sealed class OutcomeCountsConverter : IConverter<OutcomeCounts, OutcomeCountsSurrogate>
{
    public OutcomeCounts ConvertFromSurrogate(in OutcomeCountsSurrogate s) =>
        new(s.Exposures, s.Impressions, s.Clicks, s.AddToCarts, s.Purchases, s.Revenue, s.ClickedExposures, s.ConvertedExposures, s.RevenueSquares, s.Decisions);

    public OutcomeCountsSurrogate ConvertToSurrogate(in OutcomeCounts value) => new()
    {
        Exposures = value.Exposures,
        Impressions = value.Impressions,
        Clicks = value.Clicks,
        AddToCarts = value.AddToCarts,
        Purchases = value.Purchases,
        Revenue = value.Revenue,
        ClickedExposures = value.ClickedExposures,
        ConvertedExposures = value.ConvertedExposures,
        RevenueSquares = value.RevenueSquares,
        Decisions = value.Decisions,
    };
}

[GenerateSerializer, Alias("cohortly.SlotDecisionSumsSurrogate")]
public struct SlotDecisionSumsSurrogate
{
    [Id(0)] public long Decisions;
    [Id(1)] public long Rewards;
    [Id(2)] public double Greedy;
    [Id(3)] public double Uniform;
    [Id(4)] public double GreedySquared;
    [Id(5)] public double GreedyUniform;
    [Id(6)] public double UniformSquared;
    [Id(7)] public double RewardGreedy;
    [Id(8)] public double RewardUniform;
    [Id(9)] public double RewardGreedySquared;
    [Id(10)] public double RewardGreedyUniform;
    [Id(11)] public double RewardUniformSquared;
}

[RegisterConverter]
public sealed class SlotDecisionSumsConverter : IConverter<SlotDecisionSums, SlotDecisionSumsSurrogate>
{
    public SlotDecisionSums ConvertFromSurrogate(in SlotDecisionSumsSurrogate s) => new(
        s.Decisions, s.Rewards, s.Greedy, s.Uniform, s.GreedySquared, s.GreedyUniform, s.UniformSquared,
        s.RewardGreedy, s.RewardUniform, s.RewardGreedySquared, s.RewardGreedyUniform, s.RewardUniformSquared);

    public SlotDecisionSumsSurrogate ConvertToSurrogate(in SlotDecisionSums v) => new()
    {
        Decisions = v.Decisions,
        Rewards = v.Rewards,
        Greedy = v.Greedy,
        Uniform = v.Uniform,
        GreedySquared = v.GreedySquared,
        GreedyUniform = v.GreedyUniform,
        UniformSquared = v.UniformSquared,
        RewardGreedy = v.RewardGreedy,
        RewardUniform = v.RewardUniform,
        RewardGreedySquared = v.RewardGreedySquared,
        RewardGreedyUniform = v.RewardGreedyUniform,
        RewardUniformSquared = v.RewardUniformSquared,
    };
}

[GenerateSerializer, Alias("cohortly.OutcomeRowSurrogate")]
public struct OutcomeRowSurrogate
{
    [Id(0)] public DateTimeOffset Start;
    [Id(1)] public OutcomeKey Key;
    [Id(2)] public OutcomeCounts Counts;
}

[RegisterConverter]
public sealed class OutcomeRowConverter : IConverter<OutcomeRow, OutcomeRowSurrogate>
{
    public OutcomeRow ConvertFromSurrogate(in OutcomeRowSurrogate surrogate) => new(surrogate.Start, surrogate.Key, surrogate.Counts);

    public OutcomeRowSurrogate ConvertToSurrogate(in OutcomeRow value) => new() { Start = value.Start, Key = value.Key, Counts = value.Counts };
}

[GenerateSerializer, Alias("cohortly.EstimateSurrogate")]
public struct EstimateSurrogate
{
    [Id(0)] public double Value;
    [Id(1)] public double Low;
    [Id(2)] public double High;
}

[RegisterConverter]
public sealed class EstimateConverter : IConverter<Estimate, EstimateSurrogate>
{
    public Estimate ConvertFromSurrogate(in EstimateSurrogate surrogate) => new(surrogate.Value, surrogate.Low, surrogate.High);

    public EstimateSurrogate ConvertToSurrogate(in Estimate value) => new() { Value = value.Value, Low = value.Low, High = value.High };
}

[GenerateSerializer, Alias("cohortly.OutcomeMetricsSurrogate")]
public struct OutcomeMetricsSurrogate
{
    [Id(0)] public OutcomeCounts Counts;
    [Id(1)] public Estimate? ClickedExposureRate;
    [Id(2)] public Estimate? ClicksPerImpression;
    [Id(3)] public Estimate? ConversionRate;
    [Id(4)] public Estimate? RevenuePerImpression;
}

[RegisterConverter]
public sealed class OutcomeMetricsConverter : IConverter<OutcomeMetrics, OutcomeMetricsSurrogate>
{
    public OutcomeMetrics ConvertFromSurrogate(in OutcomeMetricsSurrogate s) => new(
        s.Counts.Exposures,
        s.Counts.Impressions,
        s.Counts.Clicks,
        s.Counts.ClickedExposures,
        s.Counts.AddToCarts,
        s.Counts.Purchases,
        s.Counts.ConvertedExposures,
        s.Counts.Revenue,
        s.ClickedExposureRate,
        s.ClicksPerImpression,
        s.ConversionRate,
        s.RevenuePerImpression);

    public OutcomeMetricsSurrogate ConvertToSurrogate(in OutcomeMetrics value) => new()
    {
        Counts = new OutcomeCounts(value.Exposures, value.Impressions, value.Clicks, value.AddToCarts, value.Purchases, value.Revenue, value.ClickedExposures, value.ConvertedExposures, 0),
        ClickedExposureRate = value.ClickedExposureRate,
        ClicksPerImpression = value.ClicksPerImpression,
        ConversionRate = value.ConversionRate,
        RevenuePerImpression = value.RevenuePerImpression,
    };
}
