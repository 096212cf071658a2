using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

public sealed record ModelCohortView(int CohortId, string Label, int Users, int HoldoutUsers, bool Adapted, double GlobalNdcg, double AdaptedNdcg);

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
    public static ModelVersionView From(ModelVersionInfo v, long active) => new(
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
        [.. v.Cohorts.Select(c => new ModelCohortView(c.CohortId, c.Label, c.Users, c.HoldoutUsers, c.Adapted, c.GlobalNdcg, c.AdaptedNdcg))]);
}

/// <summary>Model versions, newest first; activeVersion 0 means nothing has been trained yet.</summary>
public sealed record ModelListView(long ActiveVersion, IReadOnlyList<ModelVersionView> Versions);

public static class ModelsEndpoints
{
    public static void MapModels(this IEndpointRouteBuilder routes)
    {
        var models = routes.MapGroup("/v1/models").WithTags("Models").RequireAuthorization(Policies.Read);
        models.MapGet("/", List)
            .WithName("ListModels")
            .WithSummary("Trained model versions with holdout NDCG (global and per cohort) and the active version");
        models.MapPost("/{version}/activate", Activate)
            .WithName("ActivateModel")
            .WithSummary("Serve this model version (promote a newer one or roll back); silos switch within a poll interval")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Ok<ModelListView>> List(IClusterClient client)
    {
        var registry = await client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).List();
        return TypedResults.Ok(new ModelListView(registry.ActiveVersion, [.. registry.Versions.Select(v => ModelVersionView.From(v, registry.ActiveVersion))]));
    }

    private static async Task<Results<Ok<ModelVersionView>, ValidationProblem, ProblemHttpResult>> Activate(string version, IClusterClient client)
    {
        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
        {
            return Problems.Field("version", "must be a positive whole number");
        }

        try
        {
            var info = await client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).Activate(v);
            return TypedResults.Ok(ModelVersionView.From(info, v));
        }
        catch (UnknownModelVersionException ex)
        {
            return TypedResults.Problem(statusCode: 404, title: "Model version not found", detail: ex.Message, extensions: new Dictionary<string, object?> { ["field"] = "version" });
        }
    }
}
