using System.Text.Json.Serialization;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Experiments;

/// <summary>One invalid field of an experiment plan, named by its JSON path ("variants[1].treatment.diversityLambda").</summary>
public sealed record ExperimentFieldError(string Field, string Message);

/// <summary>
/// What a variant changes in serving, relative to what the user's cohort would get: the global weights instead of
/// the cohort's adapted ones (the <c>global-baseline</c> arm), an exploration policy (policy A vs B), an MMR λ
/// (diversity A vs B), the learned ranker on or off (ranker vs blend). Unset members leave the cohort's own setting in place, so <c>new VariantTreatment()</c> is
/// "serve as usual" (the <c>cohort-model</c> arm).
/// </summary>
/// <param name="GlobalWeights">Score with the global blend weights even when the cohort has adapted ones.</param>
/// <param name="DiversityLambda">MMR λ in [0, 1] (1 = pure relevance).</param>
/// <param name="Exploration">The exploration policy (typed, as a cohort's policy: <c>{"kind":"thompson","alpha":1,"beta":1}</c>).</param>
/// <param name="ExplorationSlots">How many of the last positions exploration may fill, 0..<see cref="ServingPolicy.MaxExplorationSlots"/>.</param>
/// <param name="Ranker">
/// The learned ranker on (true: it re-ranks every cohort of the variant, where the version has a ranker) or off (false:
/// the blend's order everywhere); null keeps training's per-cohort decision.
/// </param>
public sealed record VariantTreatment(
    bool GlobalWeights = false,
    double? DiversityLambda = null,
    ExplorationSpec? Exploration = null,
    int? ExplorationSlots = null,
    bool? Ranker = null)
{
    public static VariantTreatment None { get; } = new();

    /// <summary>The treatment a variant gets when its definition names none: the global weights for <c>global-baseline</c>, serving as usual otherwise.</summary>
    public static VariantTreatment DefaultFor(string? variant) =>
        string.Equals(variant, ExperimentDefinition.GlobalBaseline, StringComparison.Ordinal) ? new VariantTreatment(GlobalWeights: true) : None;

    /// <summary>True when the treatment changes the policy (λ, exploration), not only the weights.</summary>
    [JsonIgnore]
    public bool ChangesPolicy => DiversityLambda is not null || Exploration is not null || ExplorationSlots is not null;

    /// <summary>The cohort's policy with this treatment's settings in place of its own.</summary>
    public ServingPolicy Apply(ServingPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!ChangesPolicy)
        {
            return policy;
        }

        return new ServingPolicy(
            Exploration ?? policy.Exploration,
            DiversityLambda ?? policy.DiversityLambda,
            ExplorationSlots ?? policy.ExplorationSlots);
    }

    public void Validate(string prefix, List<ExperimentFieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (DiversityLambda is { } lambda && lambda is not (>= 0 and <= 1))
        {
            errors.Add(new ExperimentFieldError(prefix + "diversityLambda", "must be between 0 and 1"));
        }

        if (Exploration is not null)
        {
            var policyErrors = new List<PolicyFieldError>();
            Exploration.Validate(prefix + "exploration.", policyErrors);
            foreach (var e in policyErrors)
            {
                errors.Add(new ExperimentFieldError(e.Field, e.Message));
            }
        }

        if (ExplorationSlots is { } slots && slots is < 0 or > ServingPolicy.MaxExplorationSlots)
        {
            errors.Add(new ExperimentFieldError(prefix + "explorationSlots", $"must be between 0 and {ServingPolicy.MaxExplorationSlots}"));
        }
    }
}

/// <summary>An experiment as an operator defines it: the statistics' definition plus what each variant serves (same order as its variants).</summary>
public sealed record ExperimentPlan(ExperimentDefinition Definition, IReadOnlyList<VariantTreatment> Treatments)
{
    /// <summary>Most characters of an experiment id (it is the assignment salt and appears in every outcome key).</summary>
    public const int MaxIdLength = 64;

    /// <summary>The treatment of a variant by index.</summary>
    public VariantTreatment TreatmentOf(int variant) => variant >= 0 && variant < Treatments.Count ? Treatments[variant] : VariantTreatment.None;

    /// <summary>
    /// Every invalid field, named by its JSON path: the definition's own rules (<see cref="ExperimentDefinition.Validate"/>)
    /// plus the id's characters, the treatments, and a binomial primary metric for bandits (Thompson sampling draws
    /// from Beta posteriors).
    /// </summary>
    public IReadOnlyList<ExperimentFieldError> Validate()
    {
        var errors = new List<ExperimentFieldError>();
        var d = Definition;
        if (d is null)
        {
            errors.Add(new ExperimentFieldError("definition", "is required"));
            return errors;
        }

        if (string.IsNullOrEmpty(d.Id) || d.Id.Length > MaxIdLength || !IsIdText(d.Id))
        {
            errors.Add(new ExperimentFieldError("name", $"must be 1-{MaxIdLength} characters of letters, digits, '-', '_' or '.'"));
        }

        try
        {
            d.Validate();
        }
        catch (ArgumentException ex)
        {
            errors.Add(new ExperimentFieldError(FieldOf(ex.ParamName), Reason(ex)));
        }

        if (Treatments is null || d.Variants is null || Treatments.Count != d.Variants.Count)
        {
            errors.Add(new ExperimentFieldError("variants", "every variant needs its treatment (the same count and order)"));
        }
        else
        {
            for (var i = 0; i < Treatments.Count; i++)
            {
                (Treatments[i] ?? VariantTreatment.None).Validate($"variants[{i}].treatment.", errors);
            }
        }

        if (!Enum.IsDefined(d.PrimaryMetric))
        {
            errors.Add(new ExperimentFieldError("primaryMetric", "must be ctr, conversion or revenuePerImpression"));
        }

        for (var i = 0; d.Guardrails is not null && i < d.Guardrails.Count; i++)
        {
            if (!Enum.IsDefined(d.Guardrails[i]))
            {
                errors.Add(new ExperimentFieldError($"guardrails[{i}]", "must be ctr, conversion or revenuePerImpression"));
            }
        }

        if (!Enum.IsDefined(d.Allocation))
        {
            errors.Add(new ExperimentFieldError("allocation", "must be fixed or bandit"));
        }

        if (d.Allocation == AllocationMode.ThompsonSampling && d.PrimaryMetric == ExperimentMetric.RevenuePerImpression)
        {
            errors.Add(new ExperimentFieldError("primaryMetric", "a bandit experiment needs a rate (ctr or conversion): Thompson sampling draws from Beta posteriors"));
        }

        return errors;
    }

    private static bool IsIdText(string id)
    {
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static string FieldOf(string? parameter) => parameter switch
    {
        null or "" => "body",
        nameof(ExperimentDefinition.Id) => "name",
        _ => char.ToLowerInvariant(parameter[0]) + parameter[1..],
    };

    // ArgumentException appends " (Parameter 'x')" and the actual value; the field name is reported separately.
    private static string Reason(ArgumentException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (cut >= 0)
        {
            message = message[..cut];
        }

        var actual = message.IndexOf("\nActual value", StringComparison.Ordinal);
        return (actual >= 0 ? message[..actual] : message).Trim();
    }
}

/// <summary>Reads and writes an enum by its declared names only: a number is refused (it could name no member).</summary>
public sealed class StrictEnumConverter<T>() : JsonStringEnumConverter<T>(namingPolicy: null, allowIntegerValues: false)
    where T : struct, Enum;
