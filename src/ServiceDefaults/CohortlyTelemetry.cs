using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cohortly.ServiceDefaults;

/// <summary>OpenTelemetry for silos and gateways: Orleans and runtime meters, Orleans activities, OTLP when configured.</summary>
public static class CohortlyTelemetry
{
    public const string MeterName = "Cohortly";

    /// <summary>
    /// True when an OTLP endpoint is configured through the standard variables. Without one nothing is exported, so
    /// no tracer or meter provider listens: a listener with nowhere to send made every HTTP request and grain call
    /// build, tag and sample activities (and aggregate every instrument) for nothing.
    /// </summary>
    public static bool Exporting =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"));

    /// <param name="tracing">More trace sources (e.g. ASP.NET Core on a gateway).</param>
    /// <param name="metrics">More meters (e.g. ASP.NET Core on a gateway).</param>
    public static IServiceCollection AddCohortlyTelemetry(this IServiceCollection services, string serviceName, Action<TracerProviderBuilder>? tracing = null, Action<MeterProviderBuilder>? metrics = null)
    {
        if (!Exporting)
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m =>
            {
                m.AddMeter("Microsoft.Orleans").AddMeter("System.Runtime").AddMeter(MeterName);
                metrics?.Invoke(m);
            })
            .WithTracing(t =>
            {
                t.AddSource("Microsoft.Orleans.Runtime").AddSource("Microsoft.Orleans.Application");
                tracing?.Invoke(t);
            })
            .UseOtlpExporter();
        return services;
    }
}
