using Cohortly.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cohortly.Gateway.Hosting;

/// <summary>The gateway is ready when a grain call round-trips through the cluster within 5 s (/readyz).</summary>
public sealed class ClusterReadinessCheck(IClusterClient client) : IHealthCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var version = await client.GetGrain<ICatalogGrain>(ICatalogGrain.Key).GetVersion().WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy("a grain call round-trips", new Dictionary<string, object> { ["catalogVersion"] = version });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Cluster not reachable", ex);
        }
    }
}
