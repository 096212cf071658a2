// The standalone silo: the same AddCohortly as the gateway's embedded silo, usually with Cohortly:Cluster=Redis.
using Cohortly.Grains.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo => silo.AddCohortly(builder.Configuration));
builder.Services.AddCohortlyTelemetry("cohortly-silo");
var host = builder.Build();
await host.RunAsync();
