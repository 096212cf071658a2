using Cohortly.Contracts;
using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>
/// One silo as the operators' panel shows it. CpuPercent and memory come from the silo's own runtime statistics
/// (null when the silo did not answer); ModelVersion is the version the silo reported loaded (0: none reported),
/// ModelLoadState "loaded", "failed" (its last load failed: ModelError, FailedModelVersion) or "none"; EventsApplied
/// counts events its user grains applied since it started and PartitionsOwned the stream partitions its pulling agents
/// hold (cluster mode); both are null when the silo's stats call failed (StatsError).
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
    DateTimeOffset? ModelReportedAt)
{
    public string ModelLoadState { get; init; } = "none";

    public long? FailedModelVersion { get; init; }

    public long? EventsApplied { get; init; }

    public int? PartitionsOwned { get; init; }

    public string? StatsError { get; init; }
}

/// <summary>This gateway's own ingestion counters since it started (other gateways count their own).</summary>
public sealed record GatewayIngestionView(string Name, long EventsAccepted, long EventsRejected, long BusyResponses, DateTimeOffset Since);

/// <summary>
/// Embedded mode's equivalent of stream lag: the in-memory stream has no partitions to read, so the backlog is events
/// the embedded sink published (after appending them to the training log files) and user grains have not applied yet;
/// above MaxBacklog the gateway answers 503.
/// </summary>
public sealed record EmbeddedLogView(long Published, long Applied, long Backlog, long MaxBacklog);

/// <summary>
/// The cluster panel: silos, the active model version, this gateway's ingestion counters, and the backlog: per stream
/// partition in cluster mode (Partitions, as each partition's owner measured it), the in-memory backlog embedded
/// (EmbeddedLog). EventsApplied sums the silos' applied counters; the dashboard turns the change of each counter between
/// two reads into a rate.
/// </summary>
/// <remarks>IngestionBacklog: the embedded backlog (null in cluster mode, where Partitions carry the lag).</remarks>
public sealed record ClusterView(bool Embedded, long ActiveModelVersion, long? IngestionBacklog, long? EventsApplied, DateTimeOffset ReadAt, IReadOnlyList<ClusterSiloView> Silos)
{
    public GatewayIngestionView? Gateway { get; init; }

    public EmbeddedLogView? EmbeddedLog { get; init; }

    public int PartitionCount { get; init; }

    public IReadOnlyList<PartitionLag> Partitions { get; init; } = [];

    /// <summary>Set when partitions no live silo holds could not be read (Redis unreachable); those are missing from Partitions.</summary>
    public string? PartitionsError { get; init; }

    /// <summary>Whether this gateway serves the Orleans Dashboard under /orleans (Cohortly:OrleansDashboard:Enabled).</summary>
    public bool OrleansDashboard { get; init; }
}

public static class ClusterEndpoints
{
    public static void MapCluster(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Policies.Admin)
            .MapGet("/cluster", Cluster)
            .WithName("ClusterPanel")
            .WithSummary("Silos (status, activations, CPU, memory, model loaded, events applied), this gateway's ingestion counters, and the backlog: stream lag per partition in cluster mode, the in-memory backlog embedded");
    }

    private static async Task<Ok<ClusterView>> Cluster(
        IClusterClient client,
        Cohortly.Grains.Hosting.CohortlyBackend cluster,
        IServiceProvider services,
        GatewayIngestionCounters counters,
        Microsoft.Extensions.Options.IOptions<Cohortly.Grains.Hosting.CohortlyOptions> options,
        IConfiguration configuration,
        TimeProvider time)
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

        var registryTask = client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).List();
        var ingestion = await client.GetGrain<IClusterStatsGrain>(0).Read(addresses);
        var registry = await registryTask;
        var silos = new List<ClusterSiloView>(hosts.Length);
        long applied = 0;
        for (var i = 0; i < hosts.Length; i++)
        {
            var host = hosts[i];
            var address = host.SiloAddress.ToString();
            var stats = runtime is { } r && i < r.Length ? r[i] : null;
            var load = registry.Silos.FirstOrDefault(s => s.Silo == host.SiloName);
            var report = ingestion.Silos.FirstOrDefault(s => s.Silo == address);
            applied += report?.EventsApplied ?? 0;
            silos.Add(new ClusterSiloView(
                address,
                host.SiloName,
                host.Status.ToString(),
                stats?.ActivationCount,
                stats is null ? null : Math.Round(stats.EnvironmentStatistics.FilteredCpuUsagePercentage, 1),
                stats?.EnvironmentStatistics.FilteredMemoryUsageBytes,
                stats?.EnvironmentStatistics.FilteredAvailableMemoryBytes,
                stats?.IsOverloaded,
                load?.LoadedVersion ?? 0,
                load?.Error,
                load?.At)
            {
                ModelLoadState = load is null ? "none" : load.Error is not null ? "failed" : load.LoadedVersion > 0 ? "loaded" : "none",
                FailedModelVersion = load is { Error: not null, FailedVersion: > 0 } ? load.FailedVersion : null,
                EventsApplied = report?.EventsApplied,
                PartitionsOwned = cluster.InProcess || report is null ? null : report.Partitions.Count,
                StatsError = ingestion.Failures.FirstOrDefault(f => f.Silo == address)?.Error,
            });
        }

        silos.Sort((a, b) => string.CompareOrdinal(a.Address, b.Address));
        EmbeddedLogView? embedded = null;
        if (cluster.InProcess && ingestion.Silos is [var only, ..] && only.EmbeddedPublished is { } published)
        {
            embedded = new EmbeddedLogView(published, only.EventsApplied, only.EmbeddedBacklog ?? 0, options.Value.MaxIngestBacklog);
        }

        var gateway = new GatewayIngestionView($"{Environment.MachineName}/{Environment.ProcessId}", counters.Accepted, counters.Rejected, counters.Busy, counters.Since);
        return TypedResults.Ok(new ClusterView(cluster.InProcess, registry.ActiveVersion, embedded?.Backlog, applied, time.GetUtcNow(), silos)
        {
            Gateway = gateway,
            EmbeddedLog = embedded,
            PartitionCount = ingestion.PartitionCount,
            Partitions = ingestion.Partitions,
            PartitionsError = ingestion.PartitionsError,
            OrleansDashboard = Hosting.GatewayHosting.OrleansDashboardEnabled(configuration, cluster),
        });
    }
}
