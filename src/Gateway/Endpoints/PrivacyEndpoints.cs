using Cohortly.Contracts;
using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>The body of <c>PUT /v1/users/{id}/consent</c>.</summary>
public sealed record ConsentRequest(bool? Personalization);

/// <summary>Data subject rights: erasure and export (admin), consent to personalization (app).</summary>
public static class PrivacyEndpoints
{
    private const long MaxConsentBody = 1024;

    public static void MapPrivacy(this IEndpointRouteBuilder routes)
    {
        // Erasure and export are admin-only; the audit trail records both (an admin action, a read of one user's data).
        var admin = routes.MapGroup("/v1/users").WithTags("Privacy").RequireAuthorization(Policies.Admin);
        admin.MapDelete("/{userId}", Erase)
            .WithName("EraseUser")
            .WithSummary("Erases a user: state, attributes, served responses, their events in the log; their row in stored models is never served or trained on again")
            .WithDescription("Idempotent: a repeat answers 200 with zero counts. An event for the same id received afterwards starts a new user.");
        admin.MapGet("/{userId}/export", Export)
            .WithName("ExportUser")
            .WithSummary("Everything held about a user as JSON: profile, attributes, cohort history, served responses, logged events, model row");

        var app = routes.MapGroup("/v1/users").WithTags("Privacy").RequireAuthorization(Policies.App);
        app.MapPut("/{userId}/consent", PutConsent)
            .WithName("PutUserConsent")
            .WithSummary("Withholds (personalization: false) or restores (true) a user's consent to personalization")
            .Accepts<ConsentRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
    }

    private static async Task<Results<Ok<UserErasureResult>, ValidationProblem>> Erase(string userId, IClusterClient client)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        return TypedResults.Ok(await client.GetUserGrain(userId).Erase());
    }

    private static async Task<Results<Ok<UserDataExport>, ValidationProblem>> Export(string userId, IClusterClient client)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        return TypedResults.Ok(await client.GetUserGrain(userId).Export());
    }

    private static async Task<Results<Ok<UserConsentView>, ValidationProblem, ProblemHttpResult>> PutConsent(string userId, HttpRequest http, IClusterClient client, CancellationToken cancellationToken)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        var (body, tooLarge, invalid) = await Problems.ReadJsonAsync<ConsentRequest>(http, MaxConsentBody, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (invalid is not null)
        {
            return invalid;
        }

        if (body!.Personalization is not { } personalization)
        {
            return Problems.Field("personalization", "is required: true or false");
        }

        return TypedResults.Ok(await client.GetUserGrain(userId).SetConsent(personalization));
    }
}
