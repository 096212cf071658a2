using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Cohortly.Grains.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>
/// One silo as the operators' panel shows it. CpuPercent and memory come from the silo's own runtime statistics
/// (null when the silo did not answer); ModelVersion is the version the silo reported loaded (0: none reported) and
/// ModelError its last failed load.
/// </summary>
public sealed record ClusterSiloView(
    string Address,
    string Name,
    string Status,
    int? Activations,
    double? CpuPercent,
    long? MemoryBytes,
    long? AvailableMemoryBytes,
    bool? Overloaded,
    long ModelVersion,
    string? ModelError,
    DateTimeOffset? ModelReportedAt);

/// <summary>
/// The cluster panel: silos, the active model version, and in embedded mode the ingestion backlog (events published
/// to the in-memory stream and not yet applied by user grains; in cluster mode the backlog is in Redis and not read here).
/// </summary>
/// <remarks>EventsApplied: events applied by user grains since the embedded silo started (null in cluster mode); the
/// dashboard divides its change between two reads by the time between them for the ingestion rate.</remarks>
public sealed record ClusterView(bool Embedded, long ActiveModelVersion, long? IngestionBacklog, long? EventsApplied, DateTimeOffset ReadAt, IReadOnlyList<ClusterSiloView> Silos);

public static class ClusterEndpoints
{
    public static void MapCluster(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Policies.Admin)
            .MapGet("/cluster", Cluster)
            .WithName("ClusterPanel")
            .WithSummary("Silos with status, activations, CPU and memory, the model version each silo serves, and the embedded ingestion backlog");
    }

    private static async Task<Ok<ClusterView>> Cluster(IClusterClient client, Cohortly.Grains.Hosting.CohortlyBackend cluster, IServiceProvider services, TimeProvider time)
    {
        var management = client.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetDetailedHosts(onlyActive: true);
        var addresses = hosts.Select(h => h.SiloAddress).ToArray();
        SiloRuntimeStatistics[]? runtime = null;
        try
        {
            runtime = addresses.Length == 0 ? [] : await management.GetRuntimeStatistics(addresses);
        }
        catch (TimeoutException)
        {
            // A silo that does not answer still shows with its membership status; its numbers stay null.
        }

        var registry = await client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).List();
        var silos = new List<ClusterSiloView>(hosts.Length);
        for (var i = 0; i < hosts.Length; i++)
        {
            var host = hosts[i];
            var stats = runtime is { } r && i < r.Length ? r[i] : null;
            var load = registry.Silos.FirstOrDefault(s => s.Silo == host.SiloName);
            silos.Add(new ClusterSiloView(
                host.SiloAddress.ToString(),
                host.SiloName,
                host.Status.ToString(),
                stats?.ActivationCount,
                stats is null ? null : Math.Round(stats.EnvironmentStatistics.FilteredCpuUsagePercentage, 1),
                stats?.EnvironmentStatistics.FilteredMemoryUsageBytes,
                stats?.EnvironmentStatistics.FilteredAvailableMemoryBytes,
                stats?.IsOverloaded,
                load?.LoadedVersion ?? 0,
                load?.Error,
                load?.At));
        }

        silos.Sort((a, b) => string.CompareOrdinal(a.Address, b.Address));
        var ingestion = cluster.InProcess ? services.GetService<IngestionBacklog>() : null;
        return TypedResults.Ok(new ClusterView(cluster.InProcess, registry.ActiveVersion, ingestion?.Pending, ingestion?.AppliedTotal, time.GetUtcNow(), silos));
    }
}
