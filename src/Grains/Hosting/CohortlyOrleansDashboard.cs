using Microsoft.Extensions.Configuration;
using Orleans.Dashboard;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// The Orleans Dashboard (Microsoft.Orleans.Dashboard) for operators: its silo part on every silo, its client part on
/// a gateway of silo processes. <c>Cohortly:OrleansDashboard:Enabled</c> turns both on or off; unset, it is on only
/// where the embedded gateway runs its demo traffic (development) and off on silo processes, cluster gateways and an
/// embedded gateway without the demo. The dashboard has no authentication of its own: the gateway maps its pages under
/// <c>/orleans</c> behind the admin policy. Its grain-call profiler only records while the dashboard is being read
/// (Orleans' GrainProfilerOptions default), and the live log trace is hidden because log lines can carry what the API
/// keys guard.
/// </summary>
/// <remarks>
/// Why not on by default: the dashboard collects Orleans' metrics every second (its reader's period is fixed), and two
/// of those instruments walk every activation and every directory-cache entry of the silo. At 100,000 resident users
/// that is ~46 ms of one core every second on the 2-core bench machine (perf), a burst that recommendations at high
/// load queue behind (docs/benchmarks.md, "The Orleans Dashboard's metric walk"). Operators who want its pages turn it
/// on, on the gateway and every silo alike.
/// </remarks>
public static class CohortlyOrleansDashboard
{
    public const string EnabledKey = "Cohortly:OrleansDashboard:Enabled";

    /// <param name="configuration">The host's configuration.</param>
    /// <param name="byDefault">The value when the key is unset (true only for the embedded gateway with its demo on).</param>
    public static bool Enabled(IConfiguration configuration, bool byDefault)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[EnabledKey];
        if (value is null)
        {
            return byDefault;
        }

        return bool.TryParse(value, out var enabled)
            ? enabled
            : throw new InvalidOperationException($"{EnabledKey} must be true or false, not '{value}'.");
    }

    public static ISiloBuilder AddCohortlyDashboard(this ISiloBuilder silo, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return enabled ? silo.AddDashboard(o => o.HideTrace = true) : silo;
    }

    public static IClientBuilder AddCohortlyDashboard(this IClientBuilder client, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(client);
        return enabled ? client.AddDashboard(o => o.HideTrace = true) : client;
    }
}
