using System.Diagnostics;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

public sealed record GrainTypeCount(string GrainType, int Activations);

/// <summary>A silo of the cluster as the membership table sees it.</summary>
public sealed record SiloMember(string Address, string Status);

public sealed record ClusterStats(
    int Silos,
    IReadOnlyList<SiloMember> Members,
    int SilosWithActivations,
    int TotalActivations,
    IReadOnlyList<GrainTypeCount> ActivationsByType,
    long GatewayProcessManagedBytes,
    long GatewayProcessWorkingSetBytes,
    double GatewayProcessCpuSeconds,
    double GatewayProcessGcPauseSeconds,
    IReadOnlyList<int> GatewayProcessGcCollections,
    LastGc? LastEphemeralGc,
    bool Embedded);

/// <summary>The most recent gen0/gen1 collection: what it kept and how long it paused the process.</summary>
public sealed record LastGc(int Generation, double PauseMilliseconds, long PromotedBytes, long HeapSizeBytes, IReadOnlyList<long> GenerationSizesAfterBytes);

public static class StatsEndpoints
{
    public static void MapStats(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/admin").WithTags("Admin").RequireAuthorization(Policies.Read)
            .MapGet("/stats", Stats)
            .WithName("ClusterStats")
            .WithSummary("Activations per grain type and this process's memory, CPU time and GC pauses");
    }

    private static LastGc? LastEphemeral()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Ephemeral);
        if (info.Index == 0)
        {
            return null;
        }

        var sizes = new long[info.GenerationInfo.Length];
        for (var g = 0; g < sizes.Length; g++)
        {
            sizes[g] = info.GenerationInfo[g].SizeAfterBytes;
        }

        return new LastGc(info.Generation, info.PauseDurations[0].TotalMilliseconds, info.PromotedBytes, info.HeapSizeBytes, sizes);
    }

    private static async Task<Ok<ClusterStats>> Stats(IClusterClient client, Cohortly.Grains.Hosting.CohortlyBackend cluster)
    {
        var management = client.GetGrain<IManagementGrain>(0);
        var stats = await management.GetSimpleGrainStatistics();
        // Membership, not grain statistics: a healthy silo that hosts no grain yet is still a member.
        var hosts = await management.GetHosts(onlyActive: true);
        var members = hosts.Select(h => new SiloMember(h.Key.ToString(), h.Value.ToString())).OrderBy(m => m.Address, StringComparer.Ordinal).ToList();
        var byType = stats
            .GroupBy(s => s.GrainType)
            .Select(g => new GrainTypeCount(g.Key, g.Sum(s => s.ActivationCount)))
            .OrderByDescending(g => g.Activations)
            .ToList();
        using var process = Process.GetCurrentProcess();
        return TypedResults.Ok(new ClusterStats(
            members.Count,
            members,
            stats.Select(s => s.SiloAddress).Distinct().Count(),
            byType.Sum(t => t.Activations),
            byType,
            GC.GetTotalMemory(forceFullCollection: false),
            process.WorkingSet64,
            process.TotalProcessorTime.TotalSeconds,
            GC.GetTotalPauseDuration().TotalSeconds,
            [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)],
            LastEphemeral(),
            cluster.InProcess));
    }
}
