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
