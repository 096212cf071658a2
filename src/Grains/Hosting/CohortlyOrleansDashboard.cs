using Microsoft.Extensions.Configuration;
using Orleans.Dashboard;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// The Orleans Dashboard (Microsoft.Orleans.Dashboard) for operators: its silo part on every silo, its client part on
/// a gateway of silo processes. <c>Cohortly:OrleansDashboard:Enabled</c> (default true) turns both off. The dashboard
/// has no authentication of its own: the gateway maps its pages under <c>/orleans</c> behind the admin policy. Its
/// grain-call profiler only records while the dashboard is being read (Orleans' GrainProfilerOptions default), and the
/// live log trace is hidden because log lines can carry what the API keys guard.
/// </summary>
public static class CohortlyOrleansDashboard
{
    public const string EnabledKey = "Cohortly:OrleansDashboard:Enabled";

    public static bool Enabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[EnabledKey];
        if (value is null)
        {
            return true;
        }

        return bool.TryParse(value, out var enabled)
            ? enabled
            : throw new InvalidOperationException($"{EnabledKey} must be true or false, not '{value}'.");
    }

    public static ISiloBuilder AddCohortlyDashboard(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return Enabled(configuration) ? silo.AddDashboard(o => o.HideTrace = true) : silo;
    }

    public static IClientBuilder AddCohortlyDashboard(this IClientBuilder client, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Enabled(configuration) ? client.AddDashboard(o => o.HideTrace = true) : client;
    }
}
