using Cohortly.Contracts;
using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;

namespace Cohortly.Gateway.Endpoints;

public static class UsersEndpoints
{
    public const int MaxCount = 100;

    public static void MapUsers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/users").WithTags("Users").RequireAuthorization(Roles.App);
        group.MapGet("/{userId}", GetUser)
            .WithName("GetUser")
            .WithSummary("Live profile and cohort membership history of a user")
            .Produces<UserProfileView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{userId}/recommendations", GetRecommendations)
            .WithName("GetRecommendations")
            .WithSummary("Recommendations for a user, with scores, reasons, cohort and a recommendation id")
            .Produces<RecommendationResponse>()
            .ProducesValidationProblem();
    }

    private static async Task<IResult> GetUser(string userId, IClusterClient client)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        var profile = await client.GetGrain<IUserGrain>(userId).GetProfile();
        return profile is null
            ? TypedResults.Problem(statusCode: 404, title: "User not found", detail: $"No events have been seen for user '{userId}'.", extensions: new Dictionary<string, object?> { ["field"] = "userId" })
            : TypedResults.Ok(profile);
    }

    private static async Task<IResult> GetRecommendations(string userId, IClusterClient client, string? count = null)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        var n = 10;
        if (count is not null && (!int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n) || n < 1 || n > MaxCount))
        {
            return Problems.Field("count", $"must be a whole number between 1 and {MaxCount}");
        }

        return TypedResults.Ok(await client.GetGrain<IUserGrain>(userId).Recommend(new RecommendationRequest(n)));
    }
}
