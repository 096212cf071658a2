using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Cluster-mode placement and rebalancing (<see cref="ScalingSettings"/>). New activations are placed by Orleans'
/// default, resource-optimized placement (CPU and memory of each silo), which already prefers a silo that just
/// joined; the activation rebalancer moves existing ones. Reasons and measurements: docs/architecture.md, "Scaling
/// out and in".
/// </summary>
public static class CohortlyScaling
{
    public static ISiloBuilder AddCohortlyScaling(this ISiloBuilder silo, CohortlyOptions options, CohortlyBackend backend)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.InProcess || !options.Scaling.ActivationRebalancer)
        {
            return silo;
        }

        // Experimental API (ORLEANSEXP002) in Orleans 10.4.2: chosen knowingly, behind a setting, see the class comment.
#pragma warning disable ORLEANSEXP002
        silo.AddActivationRebalancer();
#pragma warning restore ORLEANSEXP002
        silo.Services.Configure<ActivationRebalancerOptions>(o =>
        {
            o.RebalancerDueTime = options.Scaling.RebalancerDueTime;
            o.SessionCyclePeriod = options.Scaling.RebalancerCyclePeriod;
        });
        return silo;
    }
}
