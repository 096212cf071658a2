using Cohortly.Gateway.Endpoints;
using Cohortly.Gateway.Hosting;
using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;
using Cohortly.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Dashboard;

var builder = WebApplication.CreateBuilder(args);
var cluster = builder.AddCluster();
builder.AddApiKeys(cluster);
builder.AddDemo(cluster);
builder.AddHttps();

builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.TryAddSingleton<Cohortly.Grains.Hosting.CohortlyMetrics>();
builder.Services.AddSingleton<GatewayIngestionCounters>();
builder.Services.AddSingleton<EventIngestor>();
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemFields.Name);
builder.Services.AddExceptionHandler<ClusterUnavailableHandler>();
builder.Services.AddOpenApi(o => o.AddApiKeySecurity());
builder.Services.AddGatewayJson();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = 8 * 1024 * 1024;
    // Kestrel answers a request line over its limit (8 KiB by default) with a bare 414 before any middleware runs;
    // with room for a 64 KiB line the app sees over-long ids and query values and answers a problem naming them.
    k.Limits.MaxRequestLineSize = GatewayHosting.MaxRequestLineBytes;
    k.Limits.MaxRequestHeadersTotalSize = Math.Max(k.Limits.MaxRequestHeadersTotalSize, GatewayHosting.MaxRequestLineBytes + (32 * 1024));
});

var app = builder.Build();
app.UseHttps();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseMiddleware<AuditTrail>();
app.UseRateLimiter();
app.UseAuthorization();

app.MapOpenApi();
app.MapCohortlyHealth();
app.MapEvents();
app.MapUsers();
app.MapPrivacy();
app.MapPropensity();
app.MapItems();
app.MapCohorts();
app.MapCohortViews();
app.MapOutcomes();
app.MapExperiments();
app.MapAlerts();
app.MapDrift();
app.MapRules();
app.MapStats();
app.MapCluster();
app.MapTraining();
app.MapModels();
app.MapAccess();
if (GatewayHosting.OrleansDashboardEnabled(app.Configuration, cluster))
{
    // The Orleans Dashboard has no authentication of its own: admin keys only (header, or the cookie the dashboard sets).
    app.MapOrleansDashboard(ApiKeyAuthenticationHandler.OrleansDashboardPath).RequireAuthorization(Policies.Admin).ExcludeFromDescription();
}

app.Run();

/// <summary>Entry point type, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
