using System.Net;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>The cluster stats fan-out on two silos over a real redis-server: each partition reported once, by its owner.</summary>
public sealed class ClusterStatsRedisTests(TrainingRedis redis) : IClassFixture<TrainingRedis>
{
    private const int Partitions = 6;

    [Fact]
    public async Task Each_partition_is_reported_once_by_the_silo_holding_it_and_a_silo_that_does_not_answer_is_listed_as_failed()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(RedisModeCluster.Settings(redis.ConnectionString, "stats-", Partitions)).Build();
        await using var cluster = await RedisModeCluster.Start(configuration, silos: 2, TimeSpan.FromSeconds(90));
        var silos = cluster.Silos.Select(s => s.SiloAddress).ToArray();
        var stats = cluster.Client.GetGrain<IClusterStatsGrain>(0);

        ClusterIngestionStats read = null!;
        await Eventually.True(
            async () =>
            {
                read = await stats.Read(silos);
                return read.Silos.Count == 2 && read.Silos.All(s => s.Partitions.Count > 0) && read.Partitions.All(p => p.OwnerSilo is not null);
            },
            "both silos hold partitions and every partition has an owner",
            TimeSpan.FromSeconds(90),
            () => string.Join("; ", read?.Silos.Select(s => $"{s.Silo}: {string.Join(",", s.Partitions.Select(p => p.Partition))}") ?? []));

        Assert.Empty(read.Failures);
        Assert.Equal(Partitions, read.PartitionCount);
        Assert.Equal(Enumerable.Range(0, Partitions), read.Partitions.Select(p => p.Partition));
        var reported = read.Silos.SelectMany(s => s.Partitions.Select(p => (Silo: s.Silo, Partition: p))).ToList();
        Assert.Equal(Partitions, reported.Count);
        Assert.Equal(Partitions, reported.Select(r => r.Partition.Partition).Distinct().Count());
        Assert.All(reported, r => Assert.Equal(r.Silo, r.Partition.OwnerSilo));
        Assert.All(read.Partitions, p => Assert.Contains(p.OwnerSilo, silos.Select(s => s.ToString())));
        Assert.All(read.Silos, s => Assert.Null(s.EmbeddedBacklog));

        // An address no silo answers at: listed as failed, the live silos and every partition still reported.
        var gone = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, Ports.Free()), 1);
        var withGone = await stats.Read([.. silos, gone]);

        var failure = Assert.Single(withGone.Failures);
        Assert.Equal(gone.ToString(), failure.Silo);
        Assert.False(string.IsNullOrEmpty(failure.Error));
        Assert.Equal(2, withGone.Silos.Count);
        Assert.Equal(Partitions, withGone.Partitions.Count);
    }
}
