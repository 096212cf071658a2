using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;

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
        if (backend.InProcess)
        {
            return silo;
        }

        // A migrating activation hands its state to the next silo through Orleans' serializer. Grain states are
        // stored as JSON and have no Orleans codec, so without this every migration logged "Error while dehydrating
        // activation" and the next silo read the state back from Redis; with it, the state moves in the same JSON
        // form storage uses.
        var states = PersistentStateTypes();
        silo.Services.AddSerializer(s => s.AddJsonSerializer(states.Contains, new SystemTextJsonGrainStorageSerializerOptions().JsonSerializerOptions));
        if (!options.Scaling.ActivationRebalancer)
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

    /// <summary>The T of every <c>[PersistentState] IPersistentState&lt;T&gt;</c> a Cohortly grain takes.</summary>
    internal static HashSet<Type> PersistentStateTypes()
    {
        var types = new HashSet<Type>();
        foreach (var grain in typeof(CohortlyScaling).Assembly.GetTypes())
        {
            if (!typeof(Grain).IsAssignableFrom(grain))
            {
                continue;
            }

            foreach (var constructor in grain.GetConstructors())
            {
                foreach (var parameter in constructor.GetParameters())
                {
                    if (parameter.ParameterType.IsGenericType
                        && parameter.ParameterType.GetGenericTypeDefinition() == typeof(IPersistentState<>)
                        && parameter.GetCustomAttribute<PersistentStateAttribute>() is not null)
                    {
                        types.Add(parameter.ParameterType.GetGenericArguments()[0]);
                    }
                }
            }
        }

        return types;
    }
}
