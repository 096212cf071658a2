using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace Cohortly.Grains.Cluster;

/// <summary>The per-silo stats endpoint the cluster stats grain fans out to (one instance per silo).</summary>
[Alias("cohortly.ISiloStatsService")]
public interface ISiloStatsService : IGrainService
{
    [Alias("Read")]
    Task<SiloIngestionStats> Read();
}

/// <summary>Addresses a given silo's <see cref="ISiloStatsService"/>.</summary>
public interface ISiloStatsClient : IGrainServiceClient<ISiloStatsService>
{
    ISiloStatsService On(SiloAddress silo);
}

internal sealed class SiloStatsClient(IServiceProvider services) : GrainServiceClient<ISiloStatsService>(services), ISiloStatsClient
{
    public ISiloStatsService On(SiloAddress silo) => GetGrainService(silo);
}

/// <summary>
/// Answers for this silo: the events its user grains applied (the counter they already bump per event), and in
/// cluster mode the partitions whose lease its pulling agents hold, read from Redis by the partition monitor their
/// receivers report to. A grain service rather than a grain because it must run on a named silo: a grain would be
/// placed wherever the runtime likes. Nothing here runs unless an operator asks.
/// </summary>
internal sealed class SiloStatsService : GrainService, ISiloStatsService
{
    private readonly IngestionBacklog _backlog;
    private readonly RedisStreamPartitionMonitor? _partitions;
    private readonly TimeProvider _time;
    private readonly string _silo;

    public SiloStatsService(GrainId grainId, Silo silo, ILoggerFactory loggerFactory, IngestionBacklog backlog, ILocalSiloDetails local, IServiceProvider services, TimeProvider time)
        : base(grainId, silo, loggerFactory)
    {
        _backlog = backlog;
        _time = time;
        _silo = local.SiloAddress.ToString();
        // Registered only where the Redis stream provider is (cluster mode).
        _partitions = services.GetKeyedService<RedisStreamPartitionMonitor>(StreamNames.Provider);
    }

    public async Task<SiloIngestionStats> Read()
    {
        if (_partitions is null)
        {
            return new SiloIngestionStats(_silo, _backlog.AppliedTotal, _backlog.PublishedTotal, _backlog.Pending, [], _time.GetUtcNow());
        }

        var owned = await _partitions.ReadOwnedAsync(CancellationToken.None);
        var views = new List<PartitionLag>(owned.Count);
        foreach (var stats in owned)
        {
            // Our receiver thought it held the lease but Redis names someone else: not ours to report.
            if (stats.OwnedHere)
            {
                views.Add(ClusterStatsGrain.View(stats, _silo));
            }
        }

        return new SiloIngestionStats(_silo, _backlog.AppliedTotal, null, null, views, _time.GetUtcNow());
    }
}
