using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cohortly.Grains.Hosting.Redis;

/// <summary>
/// <c>Cohortly:Redis</c>: how every Redis connection of the cluster authenticates and is encrypted. The endpoints stay
/// in <c>ConnectionStrings:Redis</c>; these settings are applied on top of it, so a secret (the password) can come
/// from its own environment variable or secret file instead of being spliced into the connection string, and the CA
/// a private Redis certificate chains to can be trusted (a connection string cannot say that).
/// </summary>
public sealed class RedisSecuritySettings
{
    public const string Section = "Cohortly:Redis";

    /// <summary>Connect with TLS (redis-server <c>--tls-port</c>).</summary>
    public bool Tls { get; set; }

    /// <summary>ACL user (Redis 6+ <c>AUTH user password</c>); empty: the default user.</summary>
    public string? User { get; set; }

    /// <summary>The password of <see cref="User"/> (or of <c>requirepass</c> when no user is set).</summary>
    public string? Password { get; set; }

    /// <summary>
    /// PEM file of the CA the server's certificate must chain to (a private CA or a self-signed server certificate).
    /// Empty: the operating system's trust store decides.
    /// </summary>
    public string? CaCertificate { get; set; }

    /// <summary>PEM client certificate for mutual TLS (redis-server's default <c>tls-auth-clients yes</c> asks for one).</summary>
    public string? ClientCertificate { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificate"/> (when the certificate file does not hold it).</summary>
    public string? ClientKey { get; set; }

    /// <summary>The name the server certificate must carry; empty: the host of the first endpoint.</summary>
    public string? TlsHost { get; set; }
}

/// <summary>
/// The one description of how Cohortly connects to Redis: <c>ConnectionStrings:Redis</c> plus <see cref="RedisSecuritySettings"/>,
/// validated (and certificates loaded) when the backend is chosen, so a bad setting stops the start naming its key.
/// Every Redis user of the cluster — Orleans membership, grain state, reminders, the event streams, the training
/// log, the model store and the audit trail — takes its <see cref="StackExchange.Redis.ConfigurationOptions"/> from
/// <see cref="Options"/>.
/// </summary>
public sealed class RedisConnection
{
    private readonly string _connectionString;
    private readonly RedisSecuritySettings _settings;
    private readonly X509Certificate2? _ca;
    private readonly X509Certificate2? _client;

    private RedisConnection(string connectionString, RedisSecuritySettings settings, X509Certificate2? ca, X509Certificate2? client)
    {
        _connectionString = connectionString;
        _settings = settings;
        _ca = ca;
        _client = client;
    }

    /// <summary>A connection string as is, without <c>Cohortly:Redis</c> settings (tests, tools).</summary>
    public static RedisConnection Plain(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new(connectionString, new RedisSecuritySettings(), null, null);
    }

    /// <summary><c>ConnectionStrings:Redis</c> (required) and <c>Cohortly:Redis</c>; throws <see cref="OptionsValidationException"/> naming every bad key.</summary>
    public static RedisConnection From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var failures = new List<string>();
        var connectionString = configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            failures.Add("Cohortly:Cluster is 'Redis' but ConnectionStrings:Redis is empty.");
        }
        else
        {
            try
            {
                _ = ConfigurationOptions.Parse(connectionString);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                // The parser's message can echo the string, and the string can hold a password: name the key only.
                failures.Add($"ConnectionStrings:Redis is not a StackExchange.Redis configuration string ({ex.GetType().Name}).");
            }
        }

        var settings = new RedisSecuritySettings();
        configuration.GetSection(RedisSecuritySettings.Section).Bind(settings);
        var section = RedisSecuritySettings.Section;
        if (!string.IsNullOrEmpty(settings.User) && string.IsNullOrEmpty(settings.Password))
        {
            failures.Add($"{section}:User is set but {section}:Password is empty: an ACL user authenticates with its password.");
        }

        if (!settings.Tls)
        {
            foreach (var (name, value) in new[] { ("CaCertificate", settings.CaCertificate), ("ClientCertificate", settings.ClientCertificate), ("ClientKey", settings.ClientKey), ("TlsHost", settings.TlsHost) })
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    failures.Add($"{section}:{name} is set but {section}:Tls is false: set {section}:Tls to true to connect with TLS.");
                }
            }
        }

        var ca = Load(failures, $"{section}:CaCertificate", settings.CaCertificate, static path => X509CertificateLoader.LoadCertificateFromFile(path));
        X509Certificate2? client = null;
        if (!string.IsNullOrWhiteSpace(settings.ClientKey) && string.IsNullOrWhiteSpace(settings.ClientCertificate))
        {
            failures.Add($"{section}:ClientKey is set without {section}:ClientCertificate.");
        }
        else if (!string.IsNullOrWhiteSpace(settings.ClientCertificate))
        {
            client = Load(failures, $"{section}:ClientCertificate", settings.ClientCertificate, path => X509Certificate2.CreateFromPemFile(path, string.IsNullOrWhiteSpace(settings.ClientKey) ? null : settings.ClientKey));
            if (client is { HasPrivateKey: false })
            {
                failures.Add($"{section}:ClientCertificate '{settings.ClientCertificate}' has no private key: set {section}:ClientKey to its PEM key file.");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(section, typeof(RedisSecuritySettings), failures);
        }

        return new(connectionString!, settings, ca, client);
    }

    /// <summary>Whether connections use TLS (the setting or <c>ssl=true</c> in the connection string).</summary>
    public bool UsesTls => _settings.Tls || ConfigurationOptions.Parse(_connectionString).Ssl;

    /// <summary>A new <see cref="ConfigurationOptions"/> for one connection (providers keep and may change theirs).</summary>
    public ConfigurationOptions Options()
    {
        var options = ConfigurationOptions.Parse(_connectionString);
        if (!string.IsNullOrEmpty(_settings.User))
        {
            options.User = _settings.User;
        }

        if (!string.IsNullOrEmpty(_settings.Password))
        {
            options.Password = _settings.Password;
        }

        if (_settings.Tls)
        {
            options.Ssl = true;
            if (!string.IsNullOrWhiteSpace(_settings.TlsHost))
            {
                options.SslHost = _settings.TlsHost;
            }
        }

        if (_ca is not null)
        {
            var ca = _ca;
            options.CertificateValidation += (_, certificate, _, errors) => ChainsTo(ca, certificate, errors);
        }

        if (_client is not null)
        {
            var client = _client;
            options.CertificateSelection += (_, _, _, _, _) => client;
        }

        return options;
    }

    /// <summary>The endpoints only: never the password.</summary>
    public override string ToString() => string.Join(",", ConfigurationOptions.Parse(_connectionString).EndPoints);

    /// <summary>
    /// The server certificate is accepted when its name matches and it chains to the configured CA alone (custom
    /// root trust: the system store is not consulted, so a certificate from any public CA is refused).
    /// </summary>
    internal static bool ChainsTo(X509Certificate2 ca, X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static X509Certificate2? Load(List<string> failures, string key, string? path, Func<string, X509Certificate2> load)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        if (!File.Exists(path))
        {
            failures.Add($"{key} '{path}' does not exist.");
            return null;
        }

        try
        {
            return load(path);
        }
        catch (CryptographicException ex)
        {
            failures.Add($"{key} '{path}' is not a PEM certificate (and key) this process can read: {ex.Message}");
            return null;
        }
    }
}
