using Cohortly.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Cohortly.Grains.Hosting;

public static class CohortlySiloHost
{
    /// <summary>
    /// The standalone silo process: the shared AddCohortly, the service defaults (telemetry, liveness), the silo's
    /// readiness checks, and the probe listener on Cohortly:Silo:HealthPort (0: off).
    /// </summary>
    /// <param name="builder">The host.</param>
    /// <param name="configureSilo">Added to the silo's configuration last: the silo program turns on Kubernetes hosting
    /// here when Cohortly:Scaling:Kubernetes is set (its package is a dependency of the silo program only).</param>
    public static IHostApplicationBuilder AddCohortlySilo(this IHostApplicationBuilder builder, Action<ISiloBuilder, CohortlyOptions>? configureSilo = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = CohortlyConfiguration.Read(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            silo.AddCohortly(builder.Configuration).AddCohortlyDashboard(CohortlyOrleansDashboard.Enabled(builder.Configuration, byDefault: false));
            configureSilo?.Invoke(silo, options);
        });
        // Leaving takes deactivating every grain (each saves and acknowledges) and handing the partitions over.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Scaling.ShutdownTimeout);
        var pseudonyms = UserPseudonyms.For(CohortlyConfiguration.Read(builder.Configuration).PseudonymKey);
        builder.Services.AddCohortlyServiceDefaults("cohortly-silo", tracing: t => t.AddProcessor(new UserIdRedaction(pseudonyms))).AddCohortlySiloChecks();
        builder.Services.AddCohortlyHealthListener(sp => sp.GetRequiredService<IOptions<CohortlyOptions>>().Value.Silo.HealthPort);
        return builder;
    }
}
