using System.ComponentModel.DataAnnotations;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Cohortly:Scaling: how a cluster-mode silo shares activations with silos that join, how long it takes to leave,
/// and whether it runs under Kubernetes. The embedded mode has one silo and ignores the rebalancer.
/// </summary>
public sealed class ScalingSettings
{
    /// <summary>
    /// Orleans' activation rebalancer (experimental in Orleans 10): migrates existing activations from the silos with
    /// the most to those with the fewest, so a silo that joins takes over a share of the users already resident and
    /// not only of new ones. On by default in cluster mode (docs/architecture.md, "Scaling out and in", says why).
    /// </summary>
    public bool ActivationRebalancer { get; set; } = true;

    /// <summary>Delay between a silo's start and the rebalancer's first session (Orleans' default is 60 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RebalancerDueTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time between two rebalancing cycles of a session (Orleans' default 15 s; at least 2 s).</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan RebalancerCyclePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How stream partitions are spread over silos (cluster mode): <see cref="PartitionBalancer.Leases"/> (default)
    /// gives each silo ⌊P/n⌋ or ⌈P/n⌉ of the P partitions and moves the surplus to a silo that joins;
    /// <see cref="PartitionBalancer.ConsistentRing"/> is Orleans' default, a hash ring (8 partitions over 3 silos
    /// measured 4 / 3 / 1).
    /// </summary>
    public PartitionBalancer PartitionBalancer { get; set; } = PartitionBalancer.Leases;

    /// <summary>
    /// With <see cref="PartitionBalancer.Leases"/>: how long a silo's claim on a partition lasts unrenewed (renewed
    /// every third of it). A silo killed without leaving gives its partitions up this long after its last renewal.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:03", "00:10:00")]
    public TimeSpan PartitionLeaseLength { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>With <see cref="PartitionBalancer.Leases"/>: how often a silo below its share tries to take free partitions.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:01:00")]
    public TimeSpan PartitionAcquisitionPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a standalone silo may take to leave after SIGTERM: deactivating its grains (each saves and
    /// acknowledges what it applied), handing its stream partitions over and leaving the membership table. The host's
    /// default of 30 s cut a loaded silo's deactivation short, which is harmless for events (they are redelivered and
    /// deduplicated) but costs the next owner a catch-up from the log. Keep Kubernetes'
    /// terminationGracePeriodSeconds above it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:30:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The standalone silo runs in a Kubernetes pod: Orleans' Kubernetes hosting (pod name as silo name, pod labels
    /// for cluster and service id, removal of silos whose pods are gone). Off by default; the manifests in
    /// deploy/kubernetes turn it on. Needs POD_NAME, POD_NAMESPACE and POD_IP in the environment.
    /// </summary>
    public bool Kubernetes { get; set; }
}

/// <summary>How the stream provider's partitions are assigned to silos (<see cref="ScalingSettings.PartitionBalancer"/>).</summary>
public enum PartitionBalancer
{
    /// <summary>Even shares through leases in Redis (Orleans' lease-based queue balancer).</summary>
    Leases,

    /// <summary>Orleans' consistent-ring balancer: shares follow each silo's hashed ranges, not the partition count.</summary>
    ConsistentRing,
}
