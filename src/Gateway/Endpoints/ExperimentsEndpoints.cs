using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Cohortly.Modeling.Experiments;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>A variant of a new experiment: its name, its relative weight (traffic split) and what it changes in serving.</summary>
/// <param name="Name">Unique in the experiment; the first variant is the baseline.</param>
/// <param name="Weight">Relative share of traffic (positive; the weights need not sum to 1).</param>
/// <param name="Treatment">What it serves; omitted: the global weights for "global-baseline", the cohort's own serving otherwise.</param>
public sealed record ExperimentVariantRequest(string? Name, double? Weight, VariantTreatment? Treatment);

/// <summary>
/// A new experiment. Name: its id and assignment salt (letters, digits, '-', '_', '.'; never reused). Cohorts: the
/// strata; omitted = every cohort. Metrics: ctr, conversion or revenuePerImpression. Allocation: fixed (the weights)
/// or bandit (per-cohort Thompson sampling with banditFloor per arm; needs ctr or conversion).
/// </summary>
public sealed record CreateExperimentRequest(
    string? Name,
    IReadOnlyList<ExperimentVariantRequest>? Variants,
    IReadOnlyList<int>? Cohorts = null,
    ExperimentMetric? PrimaryMetric = null,
    IReadOnlyList<ExperimentMetric>? Guardrails = null,
    long? MinimumSampleSize = null,
    AllocationMode? Allocation = null,
    double? BanditFloor = null,
    double? Alpha = null,
    double? GuardrailAlpha = null,
    double? MinimumDetectableLift = null);

public sealed record ExperimentVariantView(string Name, double Weight, double Share, VariantTreatment Treatment);

/// <summary>A cohort's bandit split in effect (variant → probability) since <see cref="Since"/>.</summary>
public sealed record CohortSplitView(int CohortId, DateTimeOffset Since, IReadOnlyDictionary<string, double> Split);

public sealed record ExperimentView(
    string Id,
    string Status,
    DateTimeOffset Created,
    DateTimeOffset? Stopped,
    IReadOnlyList<ExperimentVariantView> Variants,
    IReadOnlyList<int>? Cohorts,
    ExperimentMetric PrimaryMetric,
    IReadOnlyList<ExperimentMetric> Guardrails,
    long MinimumSampleSize,
    AllocationMode Allocation,
    double BanditFloor,
    double Alpha,
    double GuardrailAlpha,
    double MinimumDetectableLift,
    IReadOnlyList<CohortReturn> ReturnedCohorts,
    IReadOnlyList<CohortSplitView> Splits)
{
    /// <param name="info">The experiment.</param>
    /// <param name="now">Picks each cohort's bandit split in effect (a newer one may start at the next minute).</param>
    public static ExperimentView From(ExperimentInfo info, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(info);
        var d = info.Plan.Definition;
        var variants = new List<ExperimentVariantView>(d.Variants.Count);
        for (var v = 0; v < d.Variants.Count; v++)
        {
            variants.Add(new ExperimentVariantView(d.Variants[v].Name, d.Variants[v].Weight, d.Share(d.Variants[v].Name), info.Plan.TreatmentOf(v)));
        }

        var splits = new List<CohortSplitView>(info.Allocations.Count);
        foreach (var a in info.Allocations)
        {
            if (a.Steps.Count == 0)
            {
                continue;
            }

            // The newest step may start in the next minute; show the one in effect when there is one.
            var step = a.Steps[^1];
            for (var i = a.Steps.Count - 1; i >= 0; i--)
            {
                if (a.Steps[i].From <= now)
                {
                    step = a.Steps[i];
                    break;
                }
            }

            var split = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var v = 0; v < d.Variants.Count && v < step.Probabilities.Length; v++)
            {
                split[d.Variants[v].Name] = step.Probabilities[v];
            }

            splits.Add(new CohortSplitView(a.CohortId, step.From, split));
        }

        return new ExperimentView(
            d.Id,
            info.Status == ExperimentStatus.Running ? "running" : "stopped",
            info.Created,
            info.Stopped,
            variants,
            d.Cohorts,
            d.PrimaryMetric,
            d.Guardrails,
            d.MinimumSampleSize,
            d.Allocation,
            d.BanditFloor,
            d.Alpha,
            d.GuardrailAlpha,
            d.MinimumDetectableLift,
            info.Returned,
            splits);
    }
}

/// <summary>
/// The experiment read now over [From, To) at the given bucket granularity. Fixed split: <see cref="Report"/> (per
/// cohort at exposure and pooled; decisions from the always-valid test with Holm's correction; guardrail actions).
/// Bandit: <see cref="Bandit"/> (inverse-propensity estimates per cohort and the split in effect).
/// </summary>
public sealed record ExperimentResultsView(
    ExperimentView Experiment,
    DateTimeOffset EvaluatedAt,
    DateTimeOffset From,
    DateTimeOffset To,
    string Granularity,
    ExperimentReport? Report,
    IReadOnlyList<BanditCohortResult>? Bandit);

public sealed record ExperimentListView(IReadOnlyList<ExperimentView> Experiments);

public static class ExperimentsEndpoints
{
    /// <summary>Most bytes of a create request.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public static void MapExperiments(this IEndpointRouteBuilder routes)
    {
        // Analysts read experiments and results; only admins start and stop them.
        var group = routes.MapGroup("/v1/experiments").WithTags("Experiments").RequireAuthorization(Policies.Read);
        group.MapPost("/", Create)
            .WithName("CreateExperiment")
            .WithSummary("Start an experiment: variants with weights and serving treatments, cohorts (strata), metrics, minimum sample, fixed or bandit allocation")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/", List)
            .WithName("ListExperiments")
            .WithSummary("Every experiment, running and stopped, oldest first");
        group.MapGet("/{id}", Get)
            .WithName("GetExperiment")
            .WithSummary("One experiment's definition, status, cohorts returned to the baseline and bandit splits")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/results", Results)
            .WithName("GetExperimentResults")
            .WithSummary("Per-cohort and pooled results read now, with decisions safe to read while the test runs")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/stop", Stop)
            .WithName("StopExperiment")
            .WithSummary("Stop serving the experiment; its results stay readable")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Created<ExperimentView>, ValidationProblem, ProblemHttpResult>> Create(HttpRequest request, IClusterClient client, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, tooLarge, invalid) = await Problems.ReadJsonAsync<CreateExperimentRequest>(request, MaxBodyBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (invalid is not null)
        {
            return invalid;
        }

        if (ToPlan(body!, out var plan) is { } missing)
        {
            return missing;
        }

        var errors = plan.Validate();
        if (errors.Count > 0)
        {
            return Problems.Fields(errors.Select(e => (e.Field, e.Message)));
        }

        var creation = await client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key).Create(plan);
        if (creation.Created is not { } created)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Experiment conflicts with another",
                detail: $"{creation.ConflictField}: {creation.Conflict}",
                extensions: new Dictionary<string, object?> { ["field"] = creation.ConflictField });
        }

        return TypedResults.Created($"/v1/experiments/{Uri.EscapeDataString(created.Id)}", ExperimentView.From(created, time.GetUtcNow()));
    }

    private static async Task<Ok<ExperimentListView>> List(IClusterClient client, TimeProvider time)
    {
        var list = await client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key).List();
        var now = time.GetUtcNow();
        return TypedResults.Ok(new ExperimentListView([.. list.Select(e => ExperimentView.From(e, now))]));
    }

    private static async Task<Results<Ok<ExperimentView>, ProblemHttpResult>> Get(string id, IClusterClient client, TimeProvider time) =>
        await client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key).Get(id) is { } info
            ? TypedResults.Ok(ExperimentView.From(info, time.GetUtcNow()))
            : NotFound(id);

    private static async Task<Results<Ok<ExperimentView>, ProblemHttpResult>> Stop(string id, IClusterClient client, TimeProvider time) =>
        await client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key).Stop(id) is { } info
            ? TypedResults.Ok(ExperimentView.From(info, time.GetUtcNow()))
            : NotFound(id);

    private static async Task<Results<Ok<ExperimentResultsView>, ProblemHttpResult>> Results(string id, IClusterClient client)
    {
        if (await client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key).Results(id) is not { } r)
        {
            return NotFound(id);
        }

        var granularity = r.Granularity switch
        {
            Modeling.Outcomes.OutcomeGranularity.Minute => "minute",
            Modeling.Outcomes.OutcomeGranularity.Hour => "hour",
            _ => "day",
        };
        return TypedResults.Ok(new ExperimentResultsView(ExperimentView.From(r.Experiment, r.EvaluatedAt), r.EvaluatedAt, r.From, r.To, granularity, r.Report, r.Bandit));
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(statusCode: 404, title: "Experiment not found", detail: $"No experiment is named '{id}'.", extensions: new Dictionary<string, object?> { ["field"] = "id" });

    /// <summary>The request as a plan (defaults from <see cref="ExperimentDefinition"/>); a problem when a required field is missing.</summary>
    private static ValidationProblem? ToPlan(CreateExperimentRequest body, out ExperimentPlan plan)
    {
        plan = null!;
        if (string.IsNullOrEmpty(body.Name))
        {
            return Problems.Field("name", "is required");
        }

        if (body.Variants is not { Count: > 0 } requested)
        {
            return Problems.Field("variants", "is required: the baseline first, then at least one other variant");
        }

        var variants = new List<ExperimentVariant>(requested.Count);
        var treatments = new List<VariantTreatment>(requested.Count);
        for (var i = 0; i < requested.Count; i++)
        {
            var v = requested[i];
            if (v is null || string.IsNullOrEmpty(v.Name))
            {
                return Problems.Field($"variants[{i}].name", "is required");
            }

            if (v.Weight is not { } weight)
            {
                return Problems.Field($"variants[{i}].weight", "is required (a positive relative share of traffic)");
            }

            variants.Add(new ExperimentVariant(v.Name, weight));
            treatments.Add(v.Treatment ?? VariantTreatment.DefaultFor(v.Name));
        }

        var defaults = new ExperimentDefinition { Id = body.Name, Variants = variants };
        plan = new ExperimentPlan(
            defaults with
            {
                Cohorts = body.Cohorts,
                PrimaryMetric = body.PrimaryMetric ?? defaults.PrimaryMetric,
                Guardrails = body.Guardrails ?? defaults.Guardrails,
                MinimumSampleSize = body.MinimumSampleSize ?? defaults.MinimumSampleSize,
                Allocation = body.Allocation ?? defaults.Allocation,
                BanditFloor = body.BanditFloor ?? defaults.BanditFloor,
                Alpha = body.Alpha ?? defaults.Alpha,
                GuardrailAlpha = body.GuardrailAlpha ?? defaults.GuardrailAlpha,
                MinimumDetectableLift = body.MinimumDetectableLift ?? defaults.MinimumDetectableLift,
            },
            treatments);
        return null;
    }
}
