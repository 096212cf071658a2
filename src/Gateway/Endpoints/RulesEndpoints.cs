using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Cohortly.Modeling.Rules;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>
/// The merchandising rules (<c>GET</c> for analysts and admins, <c>PUT</c> for admins): one document replaced whole.
/// The JSON form and the validation are Modeling's; the rules grain checks the set against the live catalog.
/// </summary>
public static class RulesEndpoints
{
    /// <summary>Fifty rules with long lists fit comfortably.</summary>
    public const long MaxRulesBody = 256 * 1024;

    public static void MapRules(this IEndpointRouteBuilder routes)
    {
        var rules = routes.MapGroup("/v1/rules").WithTags("Rules").RequireAuthorization(Policies.Read);
        rules.MapGet("/", Get)
            .WithName("GetRules")
            .WithSummary("The merchandising rules in effect (pins, boosts, buries, blocks, caps, minimum prices) with their version");
        rules.MapPut("/", Put)
            .WithName("ReplaceRules")
            .WithSummary("Replace every merchandising rule; a set that would empty a list is rejected naming the rule")
            .Accepts<RuleSet>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
    }

    private static async Task<Ok<RuleSet>> Get(IClusterClient client) =>
        TypedResults.Ok(await client.GetGrain<IRulesGrain>(IRulesGrain.Key).Get());

    private static async Task<Results<Ok<RuleSet>, ValidationProblem, ProblemHttpResult>> Put(HttpRequest http, IClusterClient client, CancellationToken cancellationToken)
    {
        var (document, tooLarge, invalid) = await Problems.ReadJsonAsync<System.Text.Json.JsonDocument>(http, MaxRulesBody, cancellationToken);
        using var json = document;
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (invalid is not null)
        {
            return invalid;
        }

        if (RuleSetJson.Read(json!.RootElement, out var error) is not { } rules)
        {
            return Problems.Field(error!.Value.Field, error.Value.Message);
        }

        var update = await client.GetGrain<IRulesGrain>(IRulesGrain.Key).Replace(rules);
        return update.Stored is { } stored
            ? TypedResults.Ok(stored)
            : Problems.Fields(update.Errors.Select(e => (e.Field, e.Message)));
    }
}
