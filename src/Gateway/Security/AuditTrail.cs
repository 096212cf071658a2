using System.Collections.Concurrent;
using System.Globalization;
using Cohortly.Grains.Audit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Cohortly.Gateway.Security;

/// <summary>
/// Records, for every request with a valid key, the ones the audit trail covers, after they ran (so the entry holds
/// the status they ended with):
/// <list type="bullet">
/// <item>an admin action: any method but GET/HEAD on an endpoint whose policy needs the admin role for it
/// (<see cref="Policies.Admin"/>, <see cref="Policies.Read"/>), whoever tried (a 403 is recorded too);</item>
/// <item>a read of one user's data: GET/HEAD by an analyst or admin key on a route with a user id
/// (a <c>userId</c> route value, or any route under <c>/v1/users/{…}</c>).</item>
/// </list>
/// It is middleware, not a filter on each group, so an endpoint added later is covered by its policy and route
/// alone. App keys' reads are never audited and leave here after two comparisons (the hot path).
/// </summary>
public sealed partial class AuditTrail(RequestDelegate next, IAuditLog log, TimeProvider time, ILogger<AuditTrail> logger)
{
    private readonly ConcurrentDictionary<Endpoint, Kind> _kinds = new();

    // Not async itself: a request that is not audited (every app read) passes the next delegate's task through
    // instead of awaiting it in a state machine of its own, one object per request less on the hot path.
    public Task InvokeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var role = http.User.KeyRole();
        var endpoint = http.GetEndpoint();
        var safe = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        if (role is null || endpoint is null || (safe && role == Roles.App))
        {
            return next(http);
        }

        var kind = _kinds.GetOrAdd(endpoint, Classify);
        var audited = safe ? kind.UserData : kind.AdminAction;
        return audited ? AuditedAsync(http, role, kind) : next(http);
    }

    private async Task AuditedAsync(HttpContext http, string role, Kind kind)
    {
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(http);
            status = http.Response.StatusCode;
        }
        finally
        {
            await RecordAsync(http, role, kind.Route, status);
        }
    }

    private async Task RecordAsync(HttpContext http, string role, string route, int status)
    {
        var target = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in http.Request.RouteValues)
        {
            if (value is not null)
            {
                target[name] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            }
        }

        var entry = new AuditEntry("", time.GetUtcNow(), http.User.KeyName() ?? "", role, $"{http.Request.Method} {route}", target, status);
        try
        {
            // Not the request's token: an action that ran is recorded even if its caller went away.
            await log.AppendAsync(entry, CancellationToken.None);
        }
#pragma warning disable CA1031 // The action already ran; a failed record is reported, it cannot undo the action.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRecordFailed(logger, entry.Action, status, ex);
        }
    }

    private static Kind Classify(Endpoint endpoint)
    {
        var pattern = (endpoint as RouteEndpoint)?.RoutePattern;
        var route = pattern?.RawText ?? endpoint.DisplayName ?? "";
        if (route.Length > 0 && route[0] != '/')
        {
            route = "/" + route;
        }

        var adminAction = false;
        foreach (var data in endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>())
        {
            adminAction |= data.Policy is Policies.Admin or Policies.Read
                || (data.Roles?.Contains(Roles.Admin, StringComparison.Ordinal) ?? false);
        }

        return new Kind(route, adminAction, pattern is not null && HasUser(pattern, route));
    }

    private static bool HasUser(RoutePattern pattern, string route)
    {
        foreach (var parameter in pattern.Parameters)
        {
            if (string.Equals(parameter.Name, "userId", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return route.StartsWith("/v1/users/{", StringComparison.Ordinal);
    }

    private sealed record Kind(string Route, bool AdminAction, bool UserData);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Action} (status {Status}) in the audit trail failed")]
    private static partial void LogRecordFailed(ILogger logger, string action, int status, Exception exception);
}
