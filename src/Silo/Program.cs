// The standalone silo: the same AddCohortly as the gateway's embedded silo, usually with Cohortly:Cluster=Redis,
// plus the service defaults and the health listener (Cohortly:Silo:HealthPort) in AddCohortlySilo. In a Kubernetes pod
// (Cohortly:Scaling:Kubernetes) Orleans' Kubernetes hosting names the silo after its pod and removes silos whose pods
// are gone; deploy/kubernetes sets the pod's environment it reads.
using Cohortly.Grains.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddCohortlySilo(static (silo, options) =>
{
    if (options.Scaling.Kubernetes)
    {
        silo.UseKubernetesHosting();
    }
});
var host = builder.Build();
await host.RunAsync();
