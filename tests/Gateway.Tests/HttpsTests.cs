using System.Net;
using System.Net.Security;
using Cohortly.Gateway.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// The gateway behind real Kestrel (WebApplicationFactory's in-memory server does no TLS) with a certificate from a
/// CA made in the test, configured through Kestrel's own settings as an operator would.
/// </summary>
public sealed class HttpsTests : IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.CreateCa();
    private readonly string _directory = Directory.CreateTempSubdirectory("cohortly-https-").FullName;
    private readonly string _certificate;
    private readonly string _key;

    public HttpsTests()
    {
        using var server = _certificates.Server();
        (_certificate, _key) = TestCertificates.WritePem(server, _directory, "gateway");
    }

    public void Dispose()
    {
        _certificates.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A client that trusts the test CA only (and checks the name unless told not to), and follows no redirect.</summary>
    private HttpClient Client(string key, bool checkName = true) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    (!checkName || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0) && TestCertificates.ChainsTo(_certificates.Ca, certificate),
            },
        })
        {
            DefaultRequestHeaders = { { "X-Api-Key", key } },
        };

    /// <summary>A gateway whose only endpoint is HTTPS on <paramref name="port"/> with the PEM certificate, started.</summary>
    private KestrelGateway StartHttpsOnly(int port)
    {
        var gateway = new KestrelGateway(new()
        {
            ["Kestrel:Endpoints:Https:Url"] = $"https://127.0.0.1:{port}",
            ["Kestrel:Certificates:Default:Path"] = _certificate,
            ["Kestrel:Certificates:Default:KeyPath"] = _key,
        });
        gateway.StartServer();
        return gateway;
    }

    [Fact]
    public async Task With_only_an_https_endpoint_and_a_pem_certificate_the_gateway_serves_https_and_no_plain_http()
    {
        var port = Ports.Free();
        await using var gateway = StartHttpsOnly(port);
        using var client = Client(GatewayFactory.AdminKey);

        var stats = await client.GetAsync(new Uri($"https://127.0.0.1:{port}/v1/admin/stats"));
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        using var localhost = await client.GetAsync(new Uri($"https://localhost:{port}/healthz"));
        Assert.Equal(HttpStatusCode.OK, localhost.StatusCode);

        // appsettings.json's plain-HTTP Urls is replaced by the configured endpoints: HTTPS is all that listens.
        var addresses = gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Assert.Equal([$"https://127.0.0.1:{port}"], addresses);
        using var plain = new HttpClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz")));
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_ca_cannot_talk_to_the_gateway()
    {
        var port = Ports.Free();
        await using var gateway = StartHttpsOnly(port);
        using var untrusting = new HttpClient();

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync(new Uri($"https://127.0.0.1:{port}/healthz")));
        Assert.IsType<System.Security.Authentication.AuthenticationException>(ex.InnerException);
    }

    [Fact]
    public async Task With_redirect_on_plain_http_is_sent_to_https_except_the_health_probes_and_https_answers_carry_hsts()
    {
        var http = Ports.Free();
        var https = Ports.Free();
        await using var gateway = new KestrelGateway(new()
        {
            ["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{http}",
            ["Kestrel:Endpoints:Https:Url"] = $"https://127.0.0.1:{https}",
            ["Kestrel:Certificates:Default:Path"] = _certificate,
            ["Kestrel:Certificates:Default:KeyPath"] = _key,
            ["Cohortly:Https:Redirect"] = "true",
        });
        gateway.StartServer();
        using var client = Client(GatewayFactory.AdminKey);

        var redirected = await client.GetAsync(new Uri($"http://127.0.0.1:{http}/v1/admin/stats?x=1"));
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirected.StatusCode);
        Assert.Equal(new Uri($"https://127.0.0.1:{https}/v1/admin/stats?x=1"), redirected.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{http}/healthz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{http}/readyz"))).StatusCode);

        // HSTS is never sent to loopback names, so ask under a production name (which the test certificate lacks).
        using var otherName = Client(GatewayFactory.AdminKey, checkName: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"https://127.0.0.1:{https}/v1/admin/stats"));
        request.Headers.Host = "cohortly.example";
        var secured = await otherName.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, secured.StatusCode);
        Assert.Equal("max-age=2592000", Assert.Single(secured.Headers.GetValues("Strict-Transport-Security")));
    }

    [Fact]
    public void Https_settings_are_checked_at_start_naming_the_keys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Public:Url"] = "https://0.0.0.0:443",
            ["Kestrel:Endpoints:Other:Url"] = "https://0.0.0.0:8443",
            ["Kestrel:Endpoints:Other:Certificate:Path"] = "missing/other.pfx",
        }).Build();

        var failures = GatewayHttps.Validate(configuration, new HttpsSettings { RedirectPort = 70000 }, _directory);

        Assert.Contains(failures, f => f.StartsWith("Kestrel:Endpoints:Public:Url is HTTPS but no certificate is configured", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Kestrel:Endpoints:Other:Certificate:Path 'missing/other.pfx' does not exist", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Cohortly:Https:RedirectPort must be between 0 and 65535", StringComparison.Ordinal));
        var noHttps = GatewayHttps.Validate(new ConfigurationBuilder().Build(), new HttpsSettings { Redirect = true }, _directory);
        Assert.StartsWith("Cohortly:Https:Redirect is true but no HTTPS endpoint is configured", Assert.Single(noHttps), StringComparison.Ordinal);
        var fine = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:8443",
            ["Kestrel:Certificates:Default:Path"] = _certificate,
            ["Kestrel:Certificates:Default:KeyPath"] = _key,
        }).Build();
        Assert.Empty(GatewayHttps.Validate(fine, new HttpsSettings { Redirect = true }, _directory));

        // In Development Kestrel falls back to the ASP.NET Core development certificate.
        var development = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Urls"] = "https://localhost:5001" }).Build();
        Assert.StartsWith("Urls has an https address but Kestrel:Certificates:Default is not set", Assert.Single(GatewayHttps.Validate(development, new HttpsSettings(), _directory)), StringComparison.Ordinal);
        Assert.Empty(GatewayHttps.Validate(development, new HttpsSettings(), _directory, developmentCertificate: true));
    }

    private sealed class KestrelGateway : WebApplicationFactory<Program>
    {
        private readonly Dictionary<string, string?> _settings;

        public KestrelGateway(Dictionary<string, string?> settings)
        {
            _settings = settings;
            UseKestrel();
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            GatewayFactory.Configure(builder);
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
