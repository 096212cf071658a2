// The standalone silo: the same AddCohortly as the gateway's embedded silo, usually with Cohortly:Cluster=Redis,
// plus the service defaults and the health listener (Cohortly:Silo:HealthPort) in AddCohortlySilo.
using Cohortly.Grains.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddCohortlySilo();
var host = builder.Build();
await host.RunAsync();
