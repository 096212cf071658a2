using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>A user's purchase probability as the API shows it.</summary>
public sealed record PropensityResponse(string UserId, double Probability, double WindowDays, long ModelVersion, IReadOnlyList<ScoreContribution> Contributions);

/// <summary>An analyst's question about one user: how likely they are to buy (the active version's purchase model).</summary>
public static class PropensityEndpoints
{
    public static void MapPropensity(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/users").WithTags("Users").RequireAuthorization(Policies.Read);
        group.MapGet("/{userId}/propensity", GetPropensity)
            .WithName("GetPropensity")
            .WithSummary("The user's probability of buying within the purchase model's window, with the profile features that moved it most")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<PropensityResponse>, ValidationProblem, ProblemHttpResult>> GetPropensity(string userId, IClusterClient client)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        var view = await client.GetUserGrain(userId).GetPropensity();
        return view.Status switch
        {
            PropensityStatus.Available => TypedResults.Ok(new PropensityResponse(view.UserId, view.Probability, view.WindowDays, view.ModelVersion, view.Contributions)),
            PropensityStatus.UnknownUser => TypedResults.Problem(statusCode: 404, title: "User not found", detail: $"No events have been seen for user '{userId}'.", extensions: new Dictionary<string, object?> { ["field"] = "userId" }),
            _ => TypedResults.Problem(statusCode: 404, title: "No purchase model", detail: view.Reason ?? string.Create(CultureInfo.InvariantCulture, $"model version {view.ModelVersion} has no purchase model")),
        };
    }
}
