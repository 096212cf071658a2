using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cohortly.Grains.Hosting;

/// <summary>OpenTelemetry for silos and gateways: Orleans and runtime meters, Orleans activities, OTLP when configured.</summary>
public static class CohortlyTelemetry
{
    public const string MeterName = "Cohortly";

    public static OpenTelemetryBuilder AddCohortlyTelemetry(this IServiceCollection services, string serviceName)
    {
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m => m
                .AddMeter("Microsoft.Orleans")
                .AddMeter("System.Runtime")
                .AddMeter(MeterName))
            .WithTracing(t => t
                .AddSource("Microsoft.Orleans.Runtime")
                .AddSource("Microsoft.Orleans.Application"));

        // The exporter reads the standard OTEL_* variables; without an endpoint there is nothing to export to.
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            otel.UseOtlpExporter();
        }

        return otel;
    }
}
