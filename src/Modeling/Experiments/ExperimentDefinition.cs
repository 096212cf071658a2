using System.Text.Json.Serialization;

namespace Cohortly.Modeling.Experiments;

/// <summary>What an experiment measures. Binomial units are exposures (responses); revenue is per served impression.</summary>
[JsonConverter(typeof(StrictEnumConverter<ExperimentMetric>))]
public enum ExperimentMetric
{
    /// <summary>Clicked exposures / exposures.</summary>
    [JsonStringEnumMemberName("ctr")]
    ClickThroughRate = 0,

    /// <summary>Converted exposures / exposures.</summary>
    [JsonStringEnumMemberName("conversion")]
    ConversionRate = 1,

    /// <summary>Attributed revenue / impressions, with a Welch interval from revenue and revenue².</summary>
    [JsonStringEnumMemberName("revenuePerImpression")]
    RevenuePerImpression = 2,
}

/// <summary>How traffic reaches the variants.</summary>
[JsonConverter(typeof(StrictEnumConverter<AllocationMode>))]
public enum AllocationMode
{
    /// <summary>A stable hash of (experiment, user) into the configured weights; read with <see cref="ExperimentAnalyzer"/>.</summary>
    [JsonStringEnumMemberName("fixed")]
    FixedSplit = 0,

    /// <summary>Per-cohort Thompson sampling with a floor per arm; read with <see cref="ThompsonAllocator.Estimate"/>.</summary>
    [JsonStringEnumMemberName("bandit")]
    ThompsonSampling = 1,
}

/// <summary>A variant and its share of traffic (weights are relative; they need not sum to 1).</summary>
public sealed record ExperimentVariant(string Name, double Weight);

/// <summary>
/// An experiment. The first variant is the baseline every other variant is compared with, inside each cohort.
/// Policy A/B and λ A/B experiments are the same shape with their own variant names.
/// </summary>
public sealed record ExperimentDefinition
{
    public const string CohortModel = "cohort-model";
    public const string GlobalBaseline = "global-baseline";

    public required string Id { get; init; }

    /// <summary>Baseline first. At least two, unique names, positive weights.</summary>
    public required IReadOnlyList<ExperimentVariant> Variants { get; init; }

    /// <summary>The cohorts (strata) in the experiment; null = every cohort.</summary>
    public IReadOnlyList<int>? Cohorts { get; init; }

    public ExperimentMetric PrimaryMetric { get; init; } = ExperimentMetric.ClickThroughRate;

    /// <summary>Metrics on which a variant must not be significantly worse than the baseline in any cohort.</summary>
    public IReadOnlyList<ExperimentMetric> Guardrails { get; init; } = [];

    /// <summary>No decision is read in a stratum before each compared arm has this many units of the metric.</summary>
    public long MinimumSampleSize { get; init; } = 1000;

    /// <summary>Family-wise error rate of the primary decision across cohorts and treatments (Holm), at any look.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>Error rate of the guardrail rule per (cohort, variant, guardrail metric), at any look.</summary>
    public double GuardrailAlpha { get; init; } = 0.05;

    /// <summary>
    /// Smallest relative lift worth detecting (0.05 = 5 %). It sets the sequential test's mixture (τ = lift × the
    /// stratum's pooled rate), where the test is most powerful.
    /// </summary>
    public double MinimumDetectableLift { get; init; } = 0.05;

    public AllocationMode Allocation { get; init; } = AllocationMode.FixedSplit;

    /// <summary>Under <see cref="AllocationMode.ThompsonSampling"/>, every arm keeps at least this share of a cohort's traffic.</summary>
    public double BanditFloor { get; init; } = 0.05;

    public string Baseline => Variants[0].Name;

    /// <summary>The cohort-model vs global-baseline experiment of issue 12.</summary>
    public static ExperimentDefinition CohortModelVsGlobal(string id, double cohortModelShare = 0.5, IReadOnlyList<int>? cohorts = null) => new()
    {
        Id = id,
        Variants = [new ExperimentVariant(GlobalBaseline, 1 - cohortModelShare), new ExperimentVariant(CohortModel, cohortModelShare)],
        Cohorts = cohorts,
    };

    public bool IncludesCohort(int cohortId)
    {
        if (Cohorts is null)
        {
            return true;
        }

        for (var i = 0; i < Cohorts.Count; i++)
        {
            if (Cohorts[i] == cohortId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Index of a variant by name, -1 when absent.</summary>
    public int IndexOf(string variant)
    {
        for (var i = 0; i < Variants.Count; i++)
        {
            if (string.Equals(Variants[i].Name, variant, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// The configured share of a variant: the probability a user is assigned to it, i.e. the propensity to log with
    /// each fixed-split exposure for off-policy evaluation.
    /// </summary>
    public double Share(string variant)
    {
        var index = IndexOf(variant);
        if (index < 0)
        {
            throw new ArgumentException($"Variant '{variant}' is not in experiment '{Id}'.", nameof(variant));
        }

        var total = 0.0;
        for (var i = 0; i < Variants.Count; i++)
        {
            total += Variants[i].Weight;
        }

        return Variants[index].Weight / total;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field that is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Id))
        {
            throw new ArgumentException("Id must not be empty.", nameof(Id));
        }

        if (Variants is null || Variants.Count < 2)
        {
            throw new ArgumentException("An experiment needs a baseline and at least one other variant.", nameof(Variants));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var total = 0.0;
        foreach (var v in Variants)
        {
            if (string.IsNullOrWhiteSpace(v.Name) || !names.Add(v.Name))
            {
                throw new ArgumentException($"Variant names must be non-empty and unique ('{v.Name}').", nameof(Variants));
            }

            if (!(v.Weight > 0) || double.IsInfinity(v.Weight))
            {
                throw new ArgumentException($"Variant '{v.Name}' needs a positive, finite weight.", nameof(Variants));
            }

            total += v.Weight;
        }

        if (Cohorts is { Count: 0 })
        {
            throw new ArgumentException("Cohorts must be null (every cohort) or list at least one cohort.", nameof(Cohorts));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MinimumSampleSize, 2, nameof(MinimumSampleSize));
        RequireOpenUnit(Alpha, nameof(Alpha));
        RequireOpenUnit(GuardrailAlpha, nameof(GuardrailAlpha));
        if (!(MinimumDetectableLift > 0) || double.IsInfinity(MinimumDetectableLift))
        {
            throw new ArgumentOutOfRangeException(nameof(MinimumDetectableLift), MinimumDetectableLift, "Must be positive.");
        }

        if (!(BanditFloor >= 0) || BanditFloor * Variants.Count > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BanditFloor), BanditFloor, $"Must be in [0, 1/{Variants.Count}].");
        }
    }

    private static void RequireOpenUnit(double value, string name)
    {
        if (!(value > 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be in (0, 1).");
        }
    }
}
