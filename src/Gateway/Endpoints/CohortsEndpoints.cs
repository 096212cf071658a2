using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Cohortly.Modeling.Training;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>
/// Size: members counted from assignments since versions started; SampledUsers: this cohort's share of the clustering sample;
/// ModelVersion: the model version serving the cohort (0 before any), UsesAdaptedModel: it serves its own adapted weights.
/// </summary>
public sealed record CohortView(int Id, string Label, long Size, int SampledUsers, IReadOnlyList<FeatureValue> Centroid, IReadOnlyList<ItemScore> TopItems, DateTimeOffset UpdatedAt, long ModelVersion, bool UsesAdaptedModel)
{
    /// <summary>Since when a drift detection holds the cohort on the global weights (null: not held); the next activated version ends it.</summary>
    public DateTimeOffset? GlobalHoldSince { get; init; }
}

/// <summary>Quality: the current segmentation version's (null before the first, or for a version stored before quality was recorded).</summary>
public sealed record CohortListView(long SegmentationVersion, DateTimeOffset? CreatedAt, int SampleSize, IReadOnlyList<CohortView> Cohorts, CohortView Global, SegmentationQualityInfo? Quality = null);

/// <summary>
/// One segmentation version; <c>Producer</c> is "training" (ModelVersion = the model trained on it) or "segmentation-only";
/// <c>Quality</c> is null for versions stored before quality was recorded.
/// </summary>
public sealed record SegmentationView(long Version, DateTimeOffset CreatedAt, int SampleSize, double TrainSeconds, IReadOnlyList<CohortSummary> Cohorts, IReadOnlyList<TransitionCount> Transitions, string Producer, long ModelVersion, long PreviousVersion, SegmentationQualityInfo? Quality = null);

/// <summary>A cohort of a version; SampledUsers: its users in the version's clustering sample.</summary>
public sealed record CohortSummary(int Id, string Label, int SampledUsers);

/// <summary>
/// A cohort's serving policy. Effective: the policy in effect (null: the active model's default serves the cohort);
/// Source: "override", "trained" or "model-default"; Since: when the policy in effect last changed. Trained: what the
/// serving model version's training proposed (TrainedModelVersion); Override: the operator's policy, set at
/// OverrideSince, kept across trainings until DELETE.
/// </summary>
public sealed record CohortPolicyView(
    int CohortId,
    ServingPolicy? Effective,
    string Source,
    DateTimeOffset? Since,
    ServingPolicy? Trained,
    long TrainedModelVersion,
    ServingPolicy? Override,
    DateTimeOffset? OverrideSince);

public static class CohortsEndpoints
{
    private const int TopItems = 20;

    public static void MapCohorts(this IEndpointRouteBuilder routes)
    {
        var cohorts = routes.MapGroup("/v1/cohorts").WithTags("Cohorts").RequireAuthorization(Policies.Read);
        cohorts.MapGet("/", ListCohorts).WithName("ListCohorts").WithSummary("Cohorts of the current segmentation with size, centroid and top items");
        cohorts.MapGet("/{cohortId}", GetCohort).WithName("GetCohort").ProducesProblem(StatusCodes.Status404NotFound);
        cohorts.MapGet("/{cohortId}/policy", GetPolicy)
            .WithName("GetCohortPolicy")
            .WithSummary("The cohort's serving policy in effect, training's proposal and the operator's override")
            .ProducesProblem(StatusCodes.Status404NotFound);
        cohorts.MapPut("/{cohortId}/policy", PutPolicy)
            .WithName("OverrideCohortPolicy")
            .WithSummary("Serve the cohort with this policy until the override is deleted (kept across trainings)")
            .Accepts<ServingPolicy>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        cohorts.MapDelete("/{cohortId}/policy", DeletePolicy)
            .WithName("ClearCohortPolicyOverride")
            .WithSummary("Return the cohort to the policy training proposed")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var admin = routes.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Policies.Read);
        admin.MapPost("/segmentation", Recluster)
            .WithName("Recluster")
            .WithSummary("Re-cluster users now and publish a new segmentation version (409 when too few users, or when the version is below the quality floor)")
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
            View(global, current?.SampleSize ?? 0),
            current?.Quality));
    }

    private static async Task<Results<Ok<CohortView>, ValidationProblem, ProblemHttpResult>> GetCohort(string cohortId, IClusterClient client)
    {
        if (ParseId(cohortId) is not { } id)
        {
            return InvalidId();
        }

        var current = await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetCurrent();
        if (!Known(current, id))
        {
            return NotFound(id);
        }

        return TypedResults.Ok(View(await client.GetGrain<ICohortGrain>(id).GetSnapshot(), id == 0 ? current?.SampleSize ?? 0 : SampledUsers(current, id)));
    }

    private static async Task<Results<Ok<CohortPolicyView>, ValidationProblem, ProblemHttpResult>> GetPolicy(string cohortId, IClusterClient client)
    {
        if (ParseId(cohortId) is not { } id)
        {
            return InvalidId();
        }

        if (!await Known(client, id))
        {
            return NotFound(id);
        }

        return TypedResults.Ok(View(await client.GetGrain<ICohortGrain>(id).GetPolicy()));
    }

    private static async Task<Results<Ok<CohortPolicyView>, ValidationProblem, ProblemHttpResult>> PutPolicy(string cohortId, HttpRequest http, IClusterClient client, CancellationToken cancellationToken)
    {
        if (ParseId(cohortId) is not { } id)
        {
            return InvalidId();
        }

        var (document, tooLarge, invalid) = await Problems.ReadJsonAsync<System.Text.Json.JsonDocument>(http, MaxPolicyBody, cancellationToken);
        using var json = document;
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (invalid is not null)
        {
            return invalid;
        }

        // The JSON form and its bounds are Modeling's (one reader for the API and the configuration).
        if (ServingPolicyJson.Read(json!.RootElement, out var errors) is not { } policy)
        {
            return Problems.Fields(errors.Select(e => (e.Field, e.Message)));
        }

        if (!await Known(client, id))
        {
            return NotFound(id);
        }

        return TypedResults.Ok(View(await client.GetGrain<ICohortGrain>(id).OverridePolicy(policy)));
    }

    private static async Task<Results<Ok<CohortPolicyView>, ValidationProblem, ProblemHttpResult>> DeletePolicy(string cohortId, IClusterClient client)
    {
        if (ParseId(cohortId) is not { } id)
        {
            return InvalidId();
        }

        if (!await Known(client, id))
        {
            return NotFound(id);
        }

        return TypedResults.Ok(View(await client.GetGrain<ICohortGrain>(id).ClearPolicyOverride()));
    }

    private const long MaxPolicyBody = 4096;

    private static int? ParseId(string cohortId) =>
        int.TryParse(cohortId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id >= 0 ? id : null;

    private static ValidationProblem InvalidId() => Problems.Field("cohortId", "must be a non-negative whole number (0 is the all-users baseline)");

    private static ProblemHttpResult NotFound(int id) =>
        TypedResults.Problem(statusCode: 404, title: "Cohort not found", detail: $"Cohort {id} is not part of the current segmentation.", extensions: new Dictionary<string, object?> { ["field"] = "cohortId" });

    private static bool Known(SegmentationVersionInfo? current, int id) => id == 0 || (current?.CohortIds.Contains(id) ?? false);

    private static async Task<bool> Known(IClusterClient client, int id) =>
        Known(await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetCurrent(), id);

    private static CohortPolicyView View(CohortPolicy p) => new(
        p.CohortId,
        p.Effective,
        p.Source switch
        {
            PolicySource.Override => "override",
            PolicySource.Trained => "trained",
            _ => "model-default",
        },
        p.Since,
        p.Trained,
        p.TrainedModelVersion,
        p.Override,
        p.OverrideSince);

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
        catch (SegmentationWithheldException ex)
        {
            return TypedResults.Problem(
                statusCode: 409,
                title: "Segmentation withheld below the quality floor",
                detail: ex.Message,
                extensions: new Dictionary<string, object?> { ["field"] = ex.Statistic, ["value"] = ex.Value, ["threshold"] = ex.Threshold });
        }
    }

    private static async Task<Ok<List<SegmentationView>>> History(IClusterClient client) =>
        TypedResults.Ok((await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetHistory()).Select(View).Reverse().ToList());

    private static CohortView View(CohortSnapshot s, int sampledUsers) =>
        new(s.CohortId, s.Label, s.MemberCount, sampledUsers, s.Centroid, s.TopItems.Take(TopItems).ToList(), s.UpdatedAt, s.ModelVersion, s.UsesAdaptedModel) { GlobalHoldSince = s.GlobalHoldSince };

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
        new(v.Version, v.CreatedAt, v.SampleSize, v.TrainSeconds, [.. v.CohortIds.Select((id, i) => new CohortSummary(id, v.Labels[i], i < v.SampleCounts.Count ? v.SampleCounts[i] : 0))], v.Transitions, Producer(v.Producer), v.ModelVersion, v.PreviousVersion, v.Quality);

    private static string Producer(SegmentationProducer producer) => producer switch
    {
        SegmentationProducer.Training => "training",
        SegmentationProducer.SegmentationOnly => "segmentation-only",
        SegmentationProducer.Restored => "restored",
        _ => "unknown",
    };
}
