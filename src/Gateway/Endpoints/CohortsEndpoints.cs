using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>
/// Size: members counted from assignments since versions started; SampledUsers: this cohort's share of the clustering sample;
/// ModelVersion: the model version serving the cohort (0 before any), UsesAdaptedModel: it serves its own adapted weights.
/// </summary>
public sealed record CohortView(int Id, string Label, long Size, int SampledUsers, IReadOnlyList<FeatureValue> Centroid, IReadOnlyList<ItemScore> TopItems, DateTimeOffset UpdatedAt, long ModelVersion, bool UsesAdaptedModel);

public sealed record CohortListView(long SegmentationVersion, DateTimeOffset? CreatedAt, int SampleSize, IReadOnlyList<CohortView> Cohorts, CohortView Global);

public sealed record SegmentationView(long Version, DateTimeOffset CreatedAt, int SampleSize, double TrainSeconds, IReadOnlyList<CohortSummary> Cohorts, IReadOnlyList<TransitionCount> Transitions);

public sealed record CohortSummary(int Id, string Label);

public static class CohortsEndpoints
{
    private const int TopItems = 20;

    public static void MapCohorts(this IEndpointRouteBuilder routes)
    {
        var cohorts = routes.MapGroup("/v1/cohorts").WithTags("Cohorts").RequireAuthorization(Policies.Read);
        cohorts.MapGet("/", ListCohorts).WithName("ListCohorts").WithSummary("Cohorts of the current segmentation with size, centroid and top items");
        cohorts.MapGet("/{cohortId}", GetCohort).WithName("GetCohort").ProducesProblem(StatusCodes.Status404NotFound);

        var admin = routes.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Policies.Read);
        admin.MapPost("/segmentation", Recluster)
            .WithName("Recluster")
            .WithSummary("Re-cluster users now and publish a new segmentation version")
            .ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapGet("/segmentation", History).WithName("SegmentationHistory");
    }

    private static async Task<Ok<CohortListView>> ListCohorts(IClusterClient client)
    {
        var current = await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetCurrent();
        var ids = current?.CohortIds ?? [];
        var snapshots = await Task.WhenAll(ids.Select(id => client.GetGrain<ICohortGrain>(id).GetSnapshot()));
        var global = await client.GetGrain<ICohortGrain>(0).GetSnapshot();
        return TypedResults.Ok(new CohortListView(
            current?.Version ?? 0,
            current?.CreatedAt,
            current?.SampleSize ?? 0,
            [.. snapshots.Select(s => View(s, SampledUsers(current, s.CohortId)))],
            View(global, current?.SampleSize ?? 0)));
    }

    private static async Task<Results<Ok<CohortView>, ValidationProblem, ProblemHttpResult>> GetCohort(string cohortId, IClusterClient client)
    {
        if (!int.TryParse(cohortId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id < 0)
        {
            return Problems.Field("cohortId", "must be a non-negative whole number (0 is the all-users baseline)");
        }

        var current = await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetCurrent();
        var known = id == 0 || (current?.CohortIds.Contains(id) ?? false);
        if (!known)
        {
            return TypedResults.Problem(statusCode: 404, title: "Cohort not found", detail: $"Cohort {id} is not part of the current segmentation.", extensions: new Dictionary<string, object?> { ["field"] = "cohortId" });
        }

        return TypedResults.Ok(View(await client.GetGrain<ICohortGrain>(id).GetSnapshot(), id == 0 ? current?.SampleSize ?? 0 : SampledUsers(current, id)));
    }

    private static async Task<Results<Ok<SegmentationView>, ProblemHttpResult>> Recluster(IClusterClient client)
    {
        try
        {
            return TypedResults.Ok(View(await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).Recompute()));
        }
        catch (InsufficientDataException ex)
        {
            return TypedResults.Problem(statusCode: 409, title: "Not enough data to segment", detail: ex.Message, extensions: new Dictionary<string, object?> { ["field"] = "users" });
        }
    }

    private static async Task<Ok<List<SegmentationView>>> History(IClusterClient client) =>
        TypedResults.Ok((await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetHistory()).Select(View).Reverse().ToList());

    private static CohortView View(CohortSnapshot s, int sampledUsers) =>
        new(s.CohortId, s.Label, s.MemberCount, sampledUsers, s.Centroid, s.TopItems.Take(TopItems).ToList(), s.UpdatedAt, s.ModelVersion, s.UsesAdaptedModel);

    private static int SampledUsers(SegmentationVersionInfo? version, int cohortId)
    {
        if (version is null)
        {
            return 0;
        }

        for (var i = 0; i < version.CohortIds.Count && i < version.SampleCounts.Count; i++)
        {
            if (version.CohortIds[i] == cohortId)
            {
                return version.SampleCounts[i];
            }
        }

        return 0;
    }

    private static SegmentationView View(SegmentationVersionInfo v) =>
        new(v.Version, v.CreatedAt, v.SampleSize, v.TrainSeconds, [.. v.CohortIds.Select((id, i) => new CohortSummary(id, v.Labels[i]))], v.Transitions);
}
