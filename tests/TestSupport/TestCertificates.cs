using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cohortly.TestSupport;

/// <summary>
/// Throwaway certificates for TLS tests, made with <see cref="CertificateRequest"/>: a self-signed CA and leaf
/// certificates it signs (server: localhost and 127.0.0.1; client: client authentication), written as PEM files.
/// Valid from a minute ago for one day.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(X509Certificate2 ca) => Ca = ca;

    public X509Certificate2 Ca { get; }

    public static TestCertificates CreateCa(string name = "Cohortly Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        return new TestCertificates(request.CreateSelfSigned(now.AddMinutes(-1), now.AddDays(1)));
    }

    /// <summary>A server certificate for localhost and 127.0.0.1 signed by the CA.</summary>
    public X509Certificate2 Server() => Issue("CN=localhost", serverAuth: true);

    /// <summary>A client-authentication certificate signed by the CA (for mutual TLS).</summary>
    public X509Certificate2 Client(string name = "cohortly-test-client") => Issue($"CN={name}", serverAuth: false);

    /// <summary>Writes the certificate (and its key, when it has one) as PEM; returns (certificate path, key path).</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var certificatePath = Path.Combine(directory, name + ".crt");
        var keyPath = Path.Combine(directory, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        if (certificate.HasPrivateKey)
        {
            using var key = certificate.GetECDsaPrivateKey();
            File.WriteAllText(keyPath, key!.ExportPkcs8PrivateKeyPem());
        }

        return (certificatePath, keyPath);
    }

    /// <summary>Accepts a server certificate only if it chains to <paramref name="ca"/> (for test clients).</summary>
    public static bool ChainsTo(X509Certificate2 ca, X509Certificate? presented)
    {
        if (presented is null)
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

    public void Dispose() => Ca.Dispose();

    private X509Certificate2 Issue(string subject, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], critical: false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        // Within the CA's validity: a certificate issued a second after the CA would otherwise outlive it by that second.
        var notAfter = now.AddHours(12) < Ca.NotAfter ? now.AddHours(12) : new DateTimeOffset(Ca.NotAfter.ToUniversalTime());
        using var issued = request.Create(Ca, now.AddMinutes(-1), notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }
}
