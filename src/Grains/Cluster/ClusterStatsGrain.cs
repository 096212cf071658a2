using Cohortly.Contracts;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Runtime;
using StackExchange.Redis;

namespace Cohortly.Grains.Cluster;

/// <summary>
/// Gathers the silos' stats for the operators' panel: one call per silo, in parallel, each bounded by
/// <see cref="SiloTimeout"/> so one stuck silo shows as a failure instead of holding the panel. Partitions no live
/// silo reported (no owner yet, or an owner that died with its lease not expired) are read here, so the panel always
/// lists every partition.
/// </summary>
[StatelessWorker]
internal sealed class ClusterStatsGrain(ISiloStatsClient silos, IServiceProvider services) : Grain, IClusterStatsGrain
{
    public static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(3);

    public async Task<ClusterIngestionStats> Read(SiloAddress[] addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var calls = new Task<SiloIngestionStats>[addresses.Length];
        for (var i = 0; i < addresses.Length; i++)
        {
            calls[i] = silos.On(addresses[i]).Read().WaitAsync(SiloTimeout);
        }

        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception)
        {
            // Each failure is reported per silo below.
        }

        var reports = new List<SiloIngestionStats>(addresses.Length);
        var failures = new List<SiloStatsFailure>();
        for (var i = 0; i < calls.Length; i++)
        {
            if (calls[i].IsCompletedSuccessfully)
            {
                reports.Add(calls[i].Result);
            }
            else
            {
                var error = calls[i].Exception?.GetBaseException();
                failures.Add(new SiloStatsFailure(addresses[i].ToString(), error is TimeoutException ? $"no answer within {SiloTimeout.TotalSeconds:0} s" : error?.Message ?? "failed"));
            }
        }

        var monitor = services.GetKeyedService<RedisStreamPartitionMonitor>(StreamNames.Provider);
        if (monitor is null)
        {
            return new ClusterIngestionStats(reports, failures, [], 0);
        }

        var byPartition = new PartitionLag?[monitor.PartitionCount];
        foreach (var report in reports)
        {
            foreach (var partition in report.Partitions)
            {
                if (partition.Partition >= 0 && partition.Partition < byPartition.Length)
                {
                    byPartition[partition.Partition] ??= partition;
                }
            }
        }

        var unreported = new List<Task<RedisStreamPartitionStats>>();
        for (var p = 0; p < byPartition.Length; p++)
        {
            if (byPartition[p] is null)
            {
                unreported.Add(monitor.ReadAsync(p, CancellationToken.None));
            }
        }

        string? partitionsError = null;
        try
        {
            foreach (var stats in await Task.WhenAll(unreported))
            {
                byPartition[stats.Partition] = View(stats, ownerSilo: null);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis is what an operator is probably looking for when this happens: the silos' rows still show.
            partitionsError = $"partitions no live silo reported could not be read: {ex.Message}";
        }

        var partitions = new List<PartitionLag>(byPartition.Length);
        foreach (var partition in byPartition)
        {
            if (partition is not null)
            {
                partitions.Add(partition);
            }
        }

        return new ClusterIngestionStats(reports, failures, partitions, monitor.PartitionCount) { PartitionsError = partitionsError };
    }

    internal static PartitionLag View(RedisStreamPartitionStats s, string? ownerSilo) => new(
        s.Partition,
        ownerSilo,
        s.LeaseHolder,
        s.Length,
        s.Appended,
        s.Delivered,
        s.Acknowledged,
        s.Pending,
        Math.Round(s.OldestPendingAge.TotalSeconds, 3),
        s.Lag,
        s.LagCapped,
        Math.Round(s.LagAge.TotalSeconds, 3),
        s.LastAppendedId?.ToString(),
        s.LastDeliveredId?.ToString(),
        s.HandedOutByOwner,
        s.OwnedSince,
        s.ReadAt);
}
