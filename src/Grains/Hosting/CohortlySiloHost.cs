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
    public static IHostApplicationBuilder AddCohortlySilo(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseOrleans(silo => silo.AddCohortly(builder.Configuration).AddCohortlyDashboard(builder.Configuration));
        var pseudonyms = UserPseudonyms.For(CohortlyConfiguration.Read(builder.Configuration).PseudonymKey);
        builder.Services.AddCohortlyServiceDefaults("cohortly-silo", tracing: t => t.AddProcessor(new UserIdRedaction(pseudonyms))).AddCohortlySiloChecks();
        builder.Services.AddCohortlyHealthListener(sp => sp.GetRequiredService<IOptions<CohortlyOptions>>().Value.Silo.HealthPort);
        return builder;
    }
}
