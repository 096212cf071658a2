using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cohortly.ServiceDefaults;

/// <summary>
/// Liveness and readiness for every host, from the standard health-check service: checks tagged
/// <see cref="LiveTag"/> answer <c>/healthz</c>, checks tagged <see cref="ReadyTag"/> answer <c>/readyz</c>. This
/// project registers the liveness check (the process answers); each host adds the readiness checks that mean
/// something for it (the gateway: a grain call round-trips; a silo: it is an active member and its storage answers).
/// </summary>
public static class CohortlyHealth
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";

    public static IHealthChecksBuilder AddCohortlyHealthChecks(this IServiceCollection services) =>
        services.AddHealthChecks().AddCheck("process", () => HealthCheckResult.Healthy("process up"), [LiveTag]);

    /// <summary>
    /// <c>/healthz</c> answers <c>{"status":"alive"}</c>; <c>/readyz</c> answers <c>{"status":"ready", ...}</c> with the
    /// data the ready checks report, or a 503 problem titled by the first failing check, its detail the exception type
    /// (never its message: it can hold connection strings).
    /// </summary>
    public static void MapCohortlyHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(LivePath, (HealthCheckService health, CancellationToken cancellationToken) => Check(health, LiveTag, "alive", cancellationToken))
            .WithTags("Health").AllowAnonymous();
        routes.MapGet(ReadyPath, (HealthCheckService health, CancellationToken cancellationToken) => Check(health, ReadyTag, "ready", cancellationToken))
            .WithTags("Health").AllowAnonymous();
    }

    private static async Task<Results<Ok<Dictionary<string, object?>>, ProblemHttpResult>> Check(HealthCheckService health, string tag, string healthyStatus, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(r => r.Tags.Contains(tag), cancellationToken);
        foreach (var (_, entry) in report.Entries)
        {
            if (entry.Status == HealthStatus.Unhealthy)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: entry.Description, detail: entry.Exception?.GetType().Name);
            }
        }

        var body = new Dictionary<string, object?>(StringComparer.Ordinal) { ["status"] = healthyStatus };
        foreach (var (_, entry) in report.Entries)
        {
            foreach (var (key, value) in entry.Data)
            {
                body[key] = value;
            }
        }

        return TypedResults.Ok(body);
    }
}
