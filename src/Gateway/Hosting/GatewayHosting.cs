using System.Security.Cryptography;
using Cohortly.Demo;
using Cohortly.Gateway.Security;
using Cohortly.Grains.Hosting;
using Cohortly.ServiceDefaults;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Cohortly.Gateway.Hosting;

public static class GatewayHosting
{
    /// <summary>
    /// Longest request line (method, path, query) the server reads; longer ones get Kestrel's bare 414. Ids are at
    /// most 128 characters, so this only decides whether an over-long id or query value gets a problem naming it.
    /// </summary>
    public const int MaxRequestLineBytes = 64 * 1024;

    /// <summary>
    /// An in-process backend (embedded): the silo runs here through the shared AddCohortly. Otherwise a pure
    /// Orleans client of the silo processes.
    /// </summary>
    public static CohortlyBackend AddCluster(this WebApplicationBuilder builder)
    {
        var backend = CohortlyBackend.From(builder.Configuration);
        var dashboard = OrleansDashboardEnabled(builder.Configuration, backend);
        if (backend.InProcess)
        {
            builder.UseOrleans(silo => silo.AddCohortly(builder.Configuration).AddCohortlyDashboard(dashboard));
        }
        else
        {
            builder.UseOrleansClient(client => client.AddCohortlyClient(builder.Configuration).AddCohortlyDashboard(dashboard));
        }

        // The declared context keys: the edge normalizes events and requests with them (a bad declaration fails here, at start).
        var context = new ContextSettings();
        builder.Configuration.GetSection(CohortlyOptions.Section).GetSection("Context").Bind(context);
        builder.Services.AddSingleton(context.Schema());
        builder.Services.AddCohortlyServiceDefaults(
                backend.InProcess ? "cohortly-embedded" : "cohortly-gateway",
                tracing: t => t.AddAspNetCoreInstrumentation().AddProcessor(new UserIdRedaction(UserPseudonyms.For(CohortlyConfiguration.Read(builder.Configuration).PseudonymKey))),
                metrics: m => m.AddAspNetCoreInstrumentation())
            .AddCheck<ClusterReadinessCheck>("cluster", tags: [CohortlyHealth.ReadyTag]);
        return backend;
    }

    /// <summary>
    /// Keys come from configuration (<see cref="ApiKeyOptions"/>), validated at start. In embedded mode without named
    /// keys, each of the app, analyst and admin single keys that is not set is generated and printed once, so the
    /// one-command start works; a cluster of silo processes refuses to start without keys.
    /// </summary>
    public static void AddApiKeys(this WebApplicationBuilder builder, CohortlyBackend cluster)
    {
        var keys = new ApiKeyOptions();
        builder.Configuration.GetSection(ApiKeyOptions.Section).Bind(keys);
        var generated = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!cluster.InProcess && keys.All().Count == 0)
        {
            throw new InvalidOperationException("No API keys: set Cohortly:ApiKeys:Keys:{n}:Name/:Role/:Key (or Cohortly:ApiKeys:App and :Admin) in cluster mode.");
        }

        if (cluster.InProcess && keys.Keys.Count == 0)
        {
            Generate(generated, Roles.App, keys.App);
            Generate(generated, Roles.Analyst, keys.Analyst);
            Generate(generated, Roles.Admin, keys.Admin);
        }

        if (generated.Count > 0)
        {
            // Printed on the console (not the log pipeline) so the keys never reach a log sink.
            Console.WriteLine("Cohortly embedded mode: generated API keys for this run (set Cohortly__ApiKeys__App / __Analyst / __Admin to fix them)");
            foreach (var (role, key) in generated)
            {
                Console.WriteLine($"  {role + " key:",-13}{key}");
            }
        }

        var options = builder.Services.AddOptions<ApiKeyOptions>().Bind(builder.Configuration.GetSection(ApiKeyOptions.Section));
        if (generated.Count > 0)
        {
            options.Configure(o =>
            {
                o.App = generated.TryGetValue(Roles.App, out var app) ? app : o.App;
                o.Analyst = generated.TryGetValue(Roles.Analyst, out var analyst) ? analyst : o.Analyst;
                o.Admin = generated.TryGetValue(Roles.Admin, out var admin) ? admin : o.Admin;
            });
        }

        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidator>();
        options.ValidateOnStart();
        builder.Services.AddSingleton<ApiKeyDigests>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder().AddCohortlyPolicies();
        builder.Services.AddKeyRateLimits(builder.Configuration);
    }

    /// <summary>
    /// Whether this gateway runs the Orleans Dashboard (its silo part in embedded mode, its client part otherwise) and
    /// maps its pages: <see cref="CohortlyOrleansDashboard.EnabledKey"/>, or unset, only where the embedded gateway runs
    /// its demo traffic (<see cref="CohortlyOrleansDashboard"/> says why not everywhere).
    /// </summary>
    public static bool OrleansDashboardEnabled(IConfiguration configuration, CohortlyBackend cluster) =>
        CohortlyOrleansDashboard.Enabled(configuration, byDefault: cluster.InProcess && DemoEnabled(configuration, cluster));

    /// <summary><c>Cohortly:Demo:Enabled</c>, or unset: on in embedded mode, off in cluster mode.</summary>
    public static bool DemoEnabled(IConfiguration configuration, CohortlyBackend cluster)
    {
        var demo = new DemoOptions();
        configuration.GetSection(DemoOptions.Section).Bind(demo);
        return demo.Enabled ?? cluster.InProcess;
    }

    public static void AddDemo(this WebApplicationBuilder builder, CohortlyBackend cluster)
    {
        builder.Services.AddOptions<DemoOptions>().Bind(builder.Configuration.GetSection(DemoOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        if (DemoEnabled(builder.Configuration, cluster))
        {
            builder.Services.AddSingleton<IDemoCluster, DemoCluster>();
            builder.Services.AddHostedService<DemoTrafficGenerator>();
        }
    }

    /// <summary>
    /// HTTP JSON: web defaults, numbers strictly as numbers, and generated metadata for the hot responses
    /// (<see cref="GatewayJsonContext"/>) ahead of the reflection-based default.
    /// </summary>
    public static IServiceCollection AddGatewayJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
        });

    private static void Generate(Dictionary<string, string> generated, string role, string? configured)
    {
        if (string.IsNullOrEmpty(configured))
        {
            generated[role] = NewKey();
        }
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}
