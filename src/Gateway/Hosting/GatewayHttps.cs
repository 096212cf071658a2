using Cohortly.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Cohortly.Gateway.Hosting;

/// <summary>
/// <c>Cohortly:Https</c>. The certificate and the endpoints are Kestrel's own configuration (<c>Kestrel:Endpoints:*</c>,
/// <c>Kestrel:Certificates:Default</c>: PFX path + password, or PEM certificate + key): Kestrel already loads, validates
/// and (with a file configuration source) reloads them without a restart, so a Cohortly copy of those settings would
/// only be a second place to get wrong. Cohortly adds the redirect of plain HTTP and checks the combination at start.
/// </summary>
public sealed class HttpsSettings
{
    public const string Section = "Cohortly:Https";

    /// <summary>
    /// Answer plain-HTTP requests with a redirect to HTTPS and send HSTS on HTTPS answers. The health probes
    /// (<c>/healthz</c>, <c>/readyz</c>) are exempt: orchestrators probe the pod over plain HTTP and do not follow
    /// redirects. Needs an HTTPS endpoint.
    /// </summary>
    public bool Redirect { get; set; }

    /// <summary>The HTTPS port a redirect points to when it is not the port this process listens on (behind a proxy); 0: the listening one.</summary>
    public int RedirectPort { get; set; }

    /// <summary><c>Strict-Transport-Security: max-age</c> with <see cref="Redirect"/>.</summary>
    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(30);
}

public static class GatewayHttps
{
    /// <summary>
    /// Reads <c>Cohortly:Https</c> and checks the Kestrel endpoints it depends on; a bad combination stops the start
    /// with a message naming the keys (Kestrel's own message for a missing certificate names none).
    /// </summary>
    public static void AddHttps(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = new HttpsSettings();
        builder.Configuration.GetSection(HttpsSettings.Section).Bind(settings);
        var failures = Validate(builder.Configuration, settings, builder.Environment.ContentRootPath, developmentCertificate: builder.Environment.IsDevelopment());
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(HttpsSettings.Section, typeof(HttpsSettings), failures);
        }

        builder.Services.AddSingleton(Options.Create(settings));
        if (settings.Redirect)
        {
            builder.Services.AddHttpsRedirection(o =>
            {
                o.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
                o.HttpsPort = settings.RedirectPort == 0 ? null : settings.RedirectPort;
            });
            builder.Services.AddHsts(o =>
            {
                o.MaxAge = settings.HstsMaxAge;
                o.IncludeSubDomains = false;
            });
        }
    }

    /// <summary>The redirect and HSTS, when <c>Cohortly:Https:Redirect</c> is on; before every other middleware.</summary>
    public static void UseHttps(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Services.GetRequiredService<IOptions<HttpsSettings>>().Value.Redirect)
        {
            return;
        }

        app.UseWhen(
            static context => !context.Request.Path.StartsWithSegments(CohortlyHealth.LivePath) && !context.Request.Path.StartsWithSegments(CohortlyHealth.ReadyPath),
            static branch =>
            {
                branch.UseHsts();
                branch.UseHttpsRedirection();
            });
    }

    /// <summary>
    /// Every problem with the HTTPS settings, each naming its key; relative certificate paths are resolved as Kestrel
    /// does, against the content root. With <paramref name="developmentCertificate"/> (the Development environment) an
    /// HTTPS endpoint without a certificate is allowed: Kestrel then uses the ASP.NET Core development certificate.
    /// </summary>
    public static List<string> Validate(IConfiguration configuration, HttpsSettings settings, string contentRoot, bool developmentCertificate = false)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(settings);
        var failures = new List<string>();
        var defaultCertificate = configuration.GetSection("Kestrel:Certificates:Default");
        CheckFiles(failures, defaultCertificate, "Kestrel:Certificates:Default", contentRoot);
        var hasDefault = developmentCertificate || defaultCertificate["Path"] is not null || defaultCertificate["Subject"] is not null;
        var https = 0;
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var url = endpoint["Url"];
            if (url is null || !url.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            https++;
            var certificate = endpoint.GetSection("Certificate");
            CheckFiles(failures, certificate, $"Kestrel:Endpoints:{endpoint.Key}:Certificate", contentRoot);
            if (!hasDefault && certificate["Path"] is null && certificate["Subject"] is null && endpoint.GetSection("Sni").GetChildren().All(s => s.GetSection("Certificate")["Path"] is null && s.GetSection("Certificate")["Subject"] is null))
            {
                failures.Add($"Kestrel:Endpoints:{endpoint.Key}:Url is HTTPS but no certificate is configured: set Kestrel:Certificates:Default:Path (PFX with :Password, or PEM with :KeyPath) or Kestrel:Endpoints:{endpoint.Key}:Certificate.");
            }
        }

        var urls = configuration["Urls"];
        if (https == 0 && urls is not null && urls.Contains("https:", StringComparison.OrdinalIgnoreCase) && !hasDefault)
        {
            failures.Add("Urls has an https address but Kestrel:Certificates:Default is not set: set Kestrel:Certificates:Default:Path (PFX with :Password, or PEM with :KeyPath).");
        }

        var anyHttps = https > 0 || (urls?.Contains("https:", StringComparison.OrdinalIgnoreCase) ?? false);
        if (settings.Redirect && !anyHttps)
        {
            failures.Add($"{HttpsSettings.Section}:Redirect is true but no HTTPS endpoint is configured (Kestrel:Endpoints:<name>:Url = https://…): every request would be redirected to a port nobody serves.");
        }

        if (settings.RedirectPort is < 0 or > 65535)
        {
            failures.Add($"{HttpsSettings.Section}:RedirectPort must be between 0 and 65535; was {settings.RedirectPort}.");
        }

        if (settings.HstsMaxAge < TimeSpan.Zero)
        {
            failures.Add($"{HttpsSettings.Section}:HstsMaxAge must not be negative; was {settings.HstsMaxAge}.");
        }

        return failures;
    }

    private static void CheckFiles(List<string> failures, IConfigurationSection certificate, string key, string contentRoot)
    {
        foreach (var name in new[] { "Path", "KeyPath" })
        {
            if (certificate[name] is { Length: > 0 } path && !File.Exists(Path.Combine(contentRoot, path)))
            {
                failures.Add($"{key}:{name} '{path}' does not exist.");
            }
        }
    }
}
