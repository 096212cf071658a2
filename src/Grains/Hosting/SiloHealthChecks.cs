using Cohortly.Contracts;
using Cohortly.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Storage;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Readiness of a silo process: the cluster's membership lists this silo as active (it joined, and is not shutting
/// down or declared dead), and its grain storage answers a read. Both are local answers, so one silo's probe does
/// not fail because another silo is gone.
/// </summary>
public static class SiloHealthChecks
{
    public static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(5);

    public static IHealthChecksBuilder AddCohortlySiloChecks(this IHealthChecksBuilder checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        checks.Services.AddSingleton<SiloMembershipHealthCheck>();
        checks.Services.AddSingleton<GrainStorageHealthCheck>();
        return checks
            .AddCheck<SiloMembershipHealthCheck>("silo-membership", tags: [CohortlyHealth.ReadyTag])
            .AddCheck<GrainStorageHealthCheck>("grain-storage", tags: [CohortlyHealth.ReadyTag]);
    }
}

internal sealed class SiloMembershipHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        var data = new Dictionary<string, object> { ["siloStatus"] = status.ToString() };
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy("silo is an active cluster member", data)
            : HealthCheckResult.Unhealthy("Silo not active", data: data));
    }
}

/// <summary>Reads a probe record that never exists: a round trip to the store the grains' state lives in.</summary>
internal sealed class GrainStorageHealthCheck(IServiceProvider services, ILocalSiloDetails silo) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var storage = services.GetRequiredKeyedService<IGrainStorage>(StreamNames.Storage);
            var probe = GrainId.Create("cohortly-health", silo.SiloAddress.ToParsableString());
            await storage.ReadStateAsync("health", probe, new GrainState<HealthProbe>(), cancellationToken).WaitAsync(SiloHealthChecks.StorageTimeout, cancellationToken);
            return HealthCheckResult.Healthy("grain storage answers");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Grain storage not reachable", ex);
        }
    }
}

/// <summary>The (never written) state type of the storage probe.</summary>
[GenerateSerializer]
[Alias("Cohortly.HealthProbe")]
public sealed record HealthProbe;
