using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>
/// The dashboard's pictures of a segmentation: the cohort map, a cohort's traits in natural units, and why a user is in
/// their cohort. Thin calls to the segmentation grain; the projection and distances are Modeling's.
/// </summary>
public static class CohortMapEndpoints
{
    public const int DefaultPoints = 2000;
    public const int MaxPoints = 5000;

    public static void MapCohortViews(this IEndpointRouteBuilder routes)
    {
        var cohorts = routes.MapGroup("/v1/cohorts").WithTags("Cohorts").RequireAuthorization(Policies.Read);
        cohorts.MapGet("/map", GetMap)
            .WithName("GetCohortMap")
            .WithSummary("Sampled users and cohort centroids on the first two principal components of the standardized segmentation features")
            .WithDescription("Query: version (a kept segmentation version, default the current one), points (1..5000, default 2000).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        cohorts.MapGet("/{cohortId}/traits", GetTraits)
            .WithName("GetCohortTraits")
            .WithSummary("Each trait of the cohort's centroid in σ and in natural units, beside the population's")
            .ProducesProblem(StatusCodes.Status404NotFound);

        // A user's data: the app rule (analyst keys only where AnalystReadsUsers is on, and audited).
        var users = routes.MapGroup("/v1/users").WithTags("Users").RequireAuthorization(Policies.App);
        users.MapGet("/{userId}/cohort-fit", GetFit)
            .WithName("GetUserCohortFit")
            .WithSummary("Why the user is in their cohort: distances to every centroid of the current segmentation, and the features furthest from the nearest")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Ok<CohortMapView>, ValidationProblem, ProblemHttpResult>> GetMap(IClusterClient client, string? version = null, string? points = null)
    {
        long? requested = null;
        if (version is not null)
        {
            if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1)
            {
                return Problems.Field("version", "must be a whole number ≥ 1 (a kept segmentation version)");
            }

            requested = v;
        }

        var count = DefaultPoints;
        if (points is not null && (!int.TryParse(points, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxPoints))
        {
            return Problems.Field("points", $"must be a whole number between 1 and {MaxPoints}");
        }

        var segmentation = client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var target = requested ?? await segmentation.GetVersion();
        if (target == 0)
        {
            return TypedResults.Problem(statusCode: 404, title: "No segmentation yet", detail: "No segmentation version has been published yet.", extensions: new Dictionary<string, object?> { ["field"] = "version" });
        }

        var map = await segmentation.GetMap(target, count);
        return map is null
            ? TypedResults.Problem(statusCode: 404, title: "Segmentation version not kept", detail: $"Segmentation version {target} is not (or no longer) kept.", extensions: new Dictionary<string, object?> { ["field"] = "version" })
            : TypedResults.Ok(map);
    }

    private static async Task<Results<Ok<CohortTraitsView>, ValidationProblem, ProblemHttpResult>> GetTraits(string cohortId, IClusterClient client)
    {
        if (!int.TryParse(cohortId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
        {
            return Problems.Field("cohortId", "must be a whole number ≥ 1 (a cohort of the current segmentation)");
        }

        var traits = await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).DescribeCohort(id);
        return traits is null
            ? TypedResults.Problem(statusCode: 404, title: "Cohort not found", detail: $"Cohort {id} is not part of the current segmentation.", extensions: new Dictionary<string, object?> { ["field"] = "cohortId" })
            : TypedResults.Ok(traits);
    }

    private static async Task<Results<Ok<CohortFitView>, ValidationProblem, ProblemHttpResult>> GetFit(string userId, IUserReads reads, IClusterClient client)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        var profile = await reads.GetProfile(userId);
        if (profile is null)
        {
            return TypedResults.Problem(statusCode: 404, title: "User not found", detail: $"No events have been seen for user '{userId}'.", extensions: new Dictionary<string, object?> { ["field"] = "userId" });
        }

        var fit = await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).Fit(profile.Features);
        return fit is null
            ? TypedResults.Problem(statusCode: 409, title: "No segmentation to compare with", detail: "No segmentation version is published yet, or it uses features this profile does not report.", extensions: new Dictionary<string, object?> { ["field"] = "segmentation" })
            : TypedResults.Ok(fit);
    }
}
