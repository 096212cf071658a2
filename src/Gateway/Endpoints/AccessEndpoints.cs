using System.Globalization;
using Cohortly.Gateway.Security;
using Cohortly.Grains.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>Who the presented key is (for the dashboard, which hides actions the role may not take).</summary>
public sealed record MeView(string Name, string Role);

public static class AccessEndpoints
{
    public const int MaxAuditPage = 1000;

    public static void MapAccess(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/me").WithTags("Access").RequireAuthorization()
            .MapGet("/", Me)
            .WithName("Me")
            .WithSummary("The presented key's name and role");
        routes.MapGroup("/v1/admin/audit").WithTags("Admin").RequireAuthorization(Policies.Admin)
            .MapGet("/", Audit)
            .WithName("AuditTrail")
            .WithSummary("Audited requests (admin actions, reads of a user's data), newest first; page with ?cursor= from the previous page's next; filter by keyName, action (prefix such as 'POST /v1/admin'), since, until");
    }

    private static Ok<MeView> Me(HttpContext http) =>
        TypedResults.Ok(new MeView(http.User.KeyName() ?? "", http.User.KeyRole() ?? ""));

    private static async Task<Results<Ok<AuditPage>, ValidationProblem>> Audit(
        IAuditLog log,
        CancellationToken cancellationToken,
        int? limit = null,
        string? cursor = null,
        string? keyName = null,
        string? action = null,
        string? since = null,
        string? until = null)
    {
        if (limit is < 1 or > MaxAuditPage)
        {
            return Problems.Field("limit", $"must be between 1 and {MaxAuditPage}");
        }

        if (!TryTime(since, out var from))
        {
            return Problems.Field("since", "must be an ISO 8601 date and time");
        }

        if (!TryTime(until, out var to))
        {
            return Problems.Field("until", "must be an ISO 8601 date and time");
        }

        try
        {
            var page = await log.ReadAsync(new AuditQuery(limit ?? 100, cursor, keyName, action, from, to), cancellationToken);
            return TypedResults.Ok(page);
        }
        catch (ArgumentException ex) when (ex.ParamName == "query")
        {
            return Problems.Field("cursor", "is not a cursor this audit log returned");
        }
    }

    private static bool TryTime(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }
}
