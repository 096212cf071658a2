using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Cohortly.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// Telemetry (<see cref="CohortlyTelemetry"/>) and the liveness check every host has; returns the health-checks
    /// builder so the host adds its readiness checks (tagged <see cref="CohortlyHealth.ReadyTag"/>).
    /// </summary>
    public static IHealthChecksBuilder AddCohortlyServiceDefaults(this IServiceCollection services, string serviceName, Action<TracerProviderBuilder>? tracing = null, Action<MeterProviderBuilder>? metrics = null)
    {
        services.AddCohortlyTelemetry(serviceName, tracing, metrics);
        return services.AddCohortlyHealthChecks();
    }
}
