using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Gateway.Hosting;
using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;
using Cohortly.Modeling.Events;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

public static class UsersEndpoints
{
    public const int MaxCount = 100;
    public const int MaxAttributes = 32;
    public const int MaxAttributeValueLength = 128;
    public const int MaxCategoryFilters = 20;
    private const int MaxDeviceLength = 64;
    private const long MaxAttributesBody = 16 * 1024;

    public static void MapUsers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/users").WithTags("Users").RequireAuthorization(Policies.App);
        group.MapGet("/{userId}", GetUser)
            .WithName("GetUser")
            .WithSummary("Live profile and cohort membership history of a user")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{userId}/recommendations", GetRecommendations)
            .WithName("GetRecommendations")
            .WithSummary("Recommendations for a user, with scores, reasons, cohort, model version and a recommendation id")
            .WithDescription("Query: count (1..100), explain (true adds per-feature contributions), explore (false turns the cohort's exploration policy off), device and the other declared context keys (country, referrer, pageType by default), include / exclude (comma-separated categories), buyAgain (0..count: at most this many leading slots for due repeat purchases; default Cohortly:Repeats:Slots).");
        group.MapPut("/{userId}/attributes", PutAttributes)
            .WithName("PutUserAttributes")
            .WithSummary("Replaces a user's attributes (e.g. ageBand, country, signupChannel); they give a provisional cohort before any history")
            .Accepts<Dictionary<string, string>>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
    }

    private static async Task<Results<Ok<UserProfileView>, ValidationProblem, ProblemHttpResult>> GetUser(string userId, IUserReads reads)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        var profile = await RejectedCallRetry.Run((reads, userId), static s => s.reads.GetProfile(s.userId));
        return profile is null
            ? TypedResults.Problem(statusCode: 404, title: "User not found", detail: $"No events have been seen for user '{userId}'.", extensions: new Dictionary<string, object?> { ["field"] = "userId" })
            : TypedResults.Ok(profile);
    }

    private static async Task<Results<Ok<RecommendationResponse>, ValidationProblem>> GetRecommendations(
        string userId,
        IUserReads reads,
        HttpRequest http,
        ContextSchema context,
        string? count = null,
        string? explain = null,
        string? explore = null,
        string? device = null,
        string? include = null,
        string? exclude = null,
        string? buyAgain = null)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        var n = 10;
        if (count is not null && (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > MaxCount))
        {
            return Problems.Field("count", $"must be a whole number between 1 and {MaxCount}");
        }

        int? buyAgainSlots = null;
        if (buyAgain is not null)
        {
            if (!int.TryParse(buyAgain, NumberStyles.None, CultureInfo.InvariantCulture, out var slots) || slots > n)
            {
                return Problems.Field("buyAgain", $"must be a whole number between 0 and count ({n})");
            }

            buyAgainSlots = slots;
        }

        if (!TryFlag(explain, false, out var explainFlag))
        {
            return Problems.Field("explain", "must be true or false");
        }

        if (!TryFlag(explore, true, out var exploreFlag))
        {
            return Problems.Field("explore", "must be true or false");
        }

        if (device is not null && (device.Length == 0 || device.Length > MaxDeviceLength || HasControl(device)))
        {
            return Problems.Field("device", $"must be 1..{MaxDeviceLength} printable characters");
        }

        if (!TryCategories(include, out var included, out var includeProblem))
        {
            return Problems.Field("include", includeProblem!);
        }

        if (!TryCategories(exclude, out var excluded, out var excludeProblem))
        {
            return Problems.Field("exclude", excludeProblem!);
        }

        // The other declared context keys come as query parameters of their own name (country=, referrer=, pageType=).
        Dictionary<string, string>? values = null;
        foreach (var key in context.Keys)
        {
            if (key.Name == ContextSchema.Device || http.Query[key.Name] is not { Count: > 0 } raw)
            {
                continue;
            }

            if (context.Check(key.Name, raw[0], out var name, out var normalized) is { } contextProblem)
            {
                return Problems.Field(key.Name, contextProblem);
            }

            if (name is not null)
            {
                (values ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = normalized!;
            }
        }

        var request = new RecommendationRequest(n, explainFlag, exploreFlag, device, included, excluded) { Context = values, BuyAgainSlots = buyAgainSlots };
        return TypedResults.Ok(await RejectedCallRetry.Run((reads, userId, request), static s => s.reads.Recommend(s.userId, s.request)));
    }

    private static async Task<Results<Ok<UserAttributesView>, ValidationProblem, ProblemHttpResult>> PutAttributes(string userId, HttpRequest http, IClusterClient client, CancellationToken cancellationToken)
    {
        if (EventValidator.CheckId(userId) is { } problem)
        {
            return Problems.Field("userId", problem);
        }

        var (attributes, tooLarge, invalid) = await Problems.ReadJsonAsync<Dictionary<string, string?>>(http, MaxAttributesBody, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (invalid is not null)
        {
            return invalid;
        }

        if (attributes!.Count > MaxAttributes)
        {
            return Problems.Field("body", $"at most {MaxAttributes} attributes");
        }

        var clean = new Dictionary<string, string>(attributes.Count, StringComparer.Ordinal);
        foreach (var (name, value) in attributes)
        {
            if (!IsAttributeName(name))
            {
                return Problems.Field(name.Length == 0 ? "body" : name, "attribute names are 1..64 characters of letters, digits, '_', '-' or '.'");
            }

            if (string.IsNullOrEmpty(value) || value.Length > MaxAttributeValueLength || HasControl(value))
            {
                return Problems.Field(name, $"must be a string of 1..{MaxAttributeValueLength} printable characters");
            }

            clean[name] = value;
        }

        return TypedResults.Ok(await client.GetUserGrain(userId).SetAttributes(clean));
    }

    private static bool TryFlag(string? text, bool fallback, out bool value)
    {
        value = fallback;
        return text is null || bool.TryParse(text, out value);
    }

    private static bool TryCategories(string? text, out IReadOnlyList<string>? categories, out string? problem)
    {
        categories = null;
        problem = null;
        if (text is null)
        {
            return true;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Length > MaxCategoryFilters)
        {
            problem = $"must list 1..{MaxCategoryFilters} comma-separated categories";
            return false;
        }

        foreach (var p in parts)
        {
            if (p.Length > EventValidator.MaxIdLength || HasControl(p))
            {
                problem = $"category '{(p.Length > 32 ? p[..32] + "…" : p)}' must be at most {EventValidator.MaxIdLength} printable characters";
                return false;
            }
        }

        categories = parts;
        return true;
    }

    private static bool IsAttributeName(string name)
    {
        if (name.Length is 0 or > 64)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasControl(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
