using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

public sealed record ModelCohortView(int CohortId, string Label, int Users, int HoldoutUsers, bool Adapted, double GlobalNdcg, double AdaptedNdcg);

/// <summary>One silo's load state of one version: "loaded" (it serves it), "failed" (with the error) or "not-loaded".</summary>
public sealed record SiloLoadView(string Silo, string State, string? Error, DateTimeOffset ReportedAt);

public sealed record PromotionCohortView(int CohortId, int Users, double CandidateNdcg, double ActiveNdcg, bool Gated, bool Passed);

/// <summary>The promotion gate's comparison with the version that was active when this one was trained.</summary>
public sealed record PromotionView(long ComparedWith, bool Passed, string Reason, int Users, double CandidateNdcg, double ActiveNdcg, IReadOnlyList<PromotionCohortView> Cohorts);

public sealed record ModelVersionView(
    long Version,
    bool Active,
    DateTimeOffset TrainedAt,
    long Events,
    int Users,
    int Items,
    double HoldoutNdcgGlobal,
    double HoldoutNdcgCohort,
    long Bytes,
    double TrainSeconds,
    IReadOnlyList<ModelCohortView> Cohorts)
{
    /// <summary>active, candidate, rejected, retired (unknown: registered before statuses were kept).</summary>
    public string Status { get; init; } = "unknown";

    public string? Why { get; init; }

    public DateTimeOffset? StatusChangedAt { get; init; }

    /// <summary>True when it was activated by hand over the gate's rejection.</summary>
    public bool Forced { get; init; }

    public PromotionView? Promotion { get; init; }

    /// <summary>Each silo that reported a model load.</summary>
    public IReadOnlyList<SiloLoadView> Silos { get; init; } = [];

    /// <summary>The learned ranker against the blend per cohort (null: the version has none).</summary>
    public RankerInfo? Ranker { get; init; }

    /// <summary>The purchase model's ROC-AUC, log loss and reliability table on holdout (null: the version has none).</summary>
    public PurchaseModelInfo? Purchase { get; init; }

    /// <summary>What the run's self-tuning chose, scored on the tuning split (null: trained before training tuned itself).</summary>
    public TuningInfo? Tuning { get; init; }

    /// <summary>Only in the answer to POST /v1/models/{version}/activate.</summary>
    public ActivationView? Activation { get; init; }

    public static ModelVersionView From(ModelVersionInfo v, long active, IReadOnlyList<SiloModelLoad> silos) => new(
        v.Version,
        v.Version == active,
        v.TrainedAt,
        v.Events,
        v.Users,
        v.Items,
        v.HoldoutNdcgGlobal,
        v.HoldoutNdcgCohort,
        v.Bytes,
        v.TrainSeconds,
        [.. v.Cohorts.Select(c => new ModelCohortView(c.CohortId, c.Label, c.Users, c.HoldoutUsers, c.Adapted, c.GlobalNdcg, c.AdaptedNdcg))])
    {
        Status = StatusName(v.Status),
        Why = v.StatusReason,
        StatusChangedAt = v.StatusChangedAt,
        Forced = v.Forced,
        Promotion = v.Promotion is { } p
            ? new PromotionView(p.ComparedWith, p.Passed, p.Reason, p.Users, p.CandidateNdcg, p.ActiveNdcg, [.. p.Cohorts.Select(c => new PromotionCohortView(c.CohortId, c.Users, c.CandidateNdcg, c.ActiveNdcg, c.Gated, c.Passed))])
            : null,
        Silos = [.. silos.Select(s => LoadOf(s, v.Version))],
        Ranker = v.Ranker,
        Purchase = v.Purchase,
        Tuning = v.Tuning,
    };

    public static string StatusName(ModelStatus status) => status switch
    {
        ModelStatus.Active => "active",
        ModelStatus.Candidate => "candidate",
        ModelStatus.Rejected => "rejected",
        ModelStatus.Retired => "retired",
        _ => "unknown",
    };

    private static SiloLoadView LoadOf(SiloModelLoad silo, long version) =>
        silo.LoadedVersion == version ? new SiloLoadView(silo.Silo, "loaded", null, silo.At)
        : silo.FailedVersion == version ? new SiloLoadView(silo.Silo, "failed", silo.Error, silo.At)
        : new SiloLoadView(silo.Silo, "not-loaded", null, silo.At);
}

/// <summary>Model versions, newest first; activeVersion 0 means nothing has been trained yet.</summary>
public sealed record ModelListView(long ActiveVersion, IReadOnlyList<ModelVersionView> Versions);

/// <summary>What an activation did besides switching the model: the segmentation version serving with it, and whether it was republished for it.</summary>
public sealed record ActivationView(long SegmentationVersion, bool SegmentationRestored);

public static class ModelsEndpoints
{
    public static void MapModels(this IEndpointRouteBuilder routes)
    {
        var models = routes.MapGroup("/v1/models").WithTags("Models").RequireAuthorization(Policies.Read);
        models.MapGet("/", List)
            .WithName("ListModels")
            .WithSummary("Trained model versions with status and why, holdout NDCG (global and per cohort), the promotion comparison and each silo's load state");
        models.MapGet("/{version}", Get)
            .WithName("GetModel")
            .WithSummary("One model version: status and why, the promotion comparison, each silo's load state")
            .ProducesProblem(StatusCodes.Status404NotFound);
        models.MapPost("/{version}/activate", Activate)
            .WithName("ActivateModel")
            .WithSummary("Serve this model version (promote or roll back) together with the segmentation it was trained with; a version the gate rejected needs force=true")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Ok<ModelListView>> List(IClusterClient client)
    {
        var registry = await client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).List();
        return TypedResults.Ok(new ModelListView(registry.ActiveVersion, [.. registry.Versions.Select(v => ModelVersionView.From(v, registry.ActiveVersion, registry.Silos))]));
    }

    private static async Task<Results<Ok<ModelVersionView>, ValidationProblem, ProblemHttpResult>> Get(string version, IClusterClient client)
    {
        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
        {
            return Problems.Field("version", "must be a positive whole number");
        }

        var registry = await client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).List();
        foreach (var info in registry.Versions)
        {
            if (info.Version == v)
            {
                return TypedResults.Ok(ModelVersionView.From(info, registry.ActiveVersion, registry.Silos));
            }
        }

        return NotFound(new UnknownModelVersionException(v).Message);
    }

    private static async Task<Results<Ok<ModelVersionView>, ValidationProblem, ProblemHttpResult>> Activate(string version, bool? force, IClusterClient client)
    {
        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
        {
            return Problems.Field("version", "must be a positive whole number");
        }

        try
        {
            var result = await client.GetGrain<ITrainingGrain>(ITrainingGrain.Key).Activate(v, force ?? false);
            var registry = await client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).List();
            return TypedResults.Ok(ModelVersionView.From(result.Model, v, registry.Silos) with
            {
                Activation = new ActivationView(result.SegmentationVersion, result.SegmentationRestored),
            });
        }
        catch (UnknownModelVersionException ex)
        {
            return NotFound(ex.Message);
        }
        catch (ModelRejectedException ex)
        {
            return TypedResults.Problem(statusCode: 409, title: "Model version was rejected by the promotion gate", detail: ex.Message, extensions: new Dictionary<string, object?> { ["field"] = "force" });
        }
    }

    private static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: 404, title: "Model version not found", detail: detail, extensions: new Dictionary<string, object?> { ["field"] = "version" });
}
