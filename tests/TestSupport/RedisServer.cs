using System.Globalization;
using StackExchange.Redis;

namespace Cohortly.TestSupport;

/// <summary>
/// A throwaway redis-server on a free loopback port (Debian package redis-server). With an append-only file it can be
/// killed and started again on the same port and directory, and comes back with every write it acknowledged.
/// The one launcher for every test project and the bench. With <see cref="RedisServerSecurity"/> it asks for a
/// password or an ACL user and can listen only on TLS (Debian's redis-server is built with TLS).
/// </summary>
public sealed class RedisServer : IDisposable, IAsyncDisposable
{
    private readonly string _binary;
    private readonly string[] _arguments;
    private readonly List<ChildProcess> _processes = [];
    private readonly Lazy<ConnectionMultiplexer> _multiplexer;

    /// <param name="appendFsync">null: no persistence at all (fastest); "always": every write is fsynced before Redis
    /// answers it; "everysec": written before the answer, fsynced once a second (a killed process loses nothing, a
    /// crashed machine up to a second).</param>
    public RedisServer(string? appendFsync = null, RedisServerSecurity? security = null)
    {
        if (appendFsync is not (null or "always" or "everysec" or "no"))
        {
            throw new ArgumentException($"appendfsync '{appendFsync}': expected always, everysec or no", nameof(appendFsync));
        }

        _binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install -y redis-server); .ci/run installs it.");
        AppendFsync = appendFsync;
        Port = Ports.Free();
        Directory = System.IO.Directory.CreateTempSubdirectory("cohortly-redis-").FullName;
        Security = security ?? new RedisServerSecurity();
        var port = Port.ToString(CultureInfo.InvariantCulture);
        List<string> arguments = Security.Tls
            ? ["--port", "0", "--tls-port", port]
            : ["--port", port];
        arguments.AddRange(appendFsync is null
            ? ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Directory]
            : ["--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", appendFsync, "--dir", Directory]);
        if (Security.User is { } user)
        {
            // Redis splits a config line on spaces: the user and password must not hold any.
            arguments.AddRange(["--user", "default", "off", "--user", user, "on", ">" + (Security.Password ?? throw new ArgumentException("an ACL user needs a password", nameof(security))), "~*", "&*", "+@all"]);
        }
        else if (Security.Password is { } password)
        {
            arguments.AddRange(["--requirepass", password]);
        }

        if (Security.Tls)
        {
            Certificates = TestCertificates.CreateCa("Cohortly Test Redis CA");
            var tls = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "tls")).FullName;
            CaCertificatePath = TestCertificates.WritePem(Certificates.Ca, tls, "ca").Certificate;
            using var server = Certificates.Server();
            var (serverCertificate, serverKey) = TestCertificates.WritePem(server, tls, "server");
            using var client = Certificates.Client();
            (ClientCertificatePath, ClientKeyPath) = TestCertificates.WritePem(client, tls, "client");
            arguments.AddRange([
                "--tls-cert-file", serverCertificate, "--tls-key-file", serverKey, "--tls-ca-cert-file", CaCertificatePath,
                "--tls-auth-clients", Security.RequireClientCertificate ? "yes" : "no"]);
        }

        _arguments = [.. arguments];
        _multiplexer = new(() => ConnectionMultiplexer.Connect(ClientOptions()));
        Start();
    }

    public int Port { get; }

    public string Directory { get; }

    public string? AppendFsync { get; }

    public RedisServerSecurity Security { get; }

    /// <summary>The CA that signed the server's (and the client's) certificate; null without TLS.</summary>
    public TestCertificates? Certificates { get; }

    /// <summary>PEM files of the CA and of a client certificate it signed; null without TLS.</summary>
    public string? CaCertificatePath { get; }

    public string? ClientCertificatePath { get; }

    public string? ClientKeyPath { get; }

    /// <summary>
    /// Endpoint, and the credentials and <c>ssl=true</c> when the server asks for them. A TLS server's certificate
    /// is trusted only through <see cref="ClientOptions"/> (a configuration string cannot name a CA).
    /// </summary>
    public string ConnectionString => $"127.0.0.1:{Port}"
        + (Security.User is { } user ? $",user={user}" : string.Empty)
        + (Security.Password is { } password ? $",password={password}" : string.Empty)
        + (Security.Tls ? ",ssl=true" : string.Empty);

    /// <summary><see cref="ConnectionString"/> plus, with TLS, trust in the test CA and the client certificate.</summary>
    public ConfigurationOptions ClientOptions()
    {
        var options = ConfigurationOptions.Parse(ConnectionString);
        if (Certificates is { } certificates)
        {
            options.CertificateValidation += (_, certificate, _, _) => TestCertificates.ChainsTo(certificates.Ca, certificate);
            var client = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(ClientCertificatePath!, ClientKeyPath);
            options.CertificateSelection += (_, _, _, _, _) => client;
        }

        return options;
    }

    /// <summary>Process id of the running redis-server (the newest one after a restart).</summary>
    public int ProcessId => _processes[^1].Id;

    public bool IsRunning => _processes.Count > 0 && !_processes[^1].HasExited;

    /// <summary>The tests' own connection, for looking at what the code under test wrote; opened on first use.</summary>
    public ConnectionMultiplexer Multiplexer => _multiplexer.Value;

    public IDatabase Database => Multiplexer.GetDatabase();

    /// <summary>Starts redis-server and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(string? appendFsync = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default, RedisServerSecurity? security = null)
    {
        var server = new RedisServer(appendFsync, security);
        try
        {
            await server.WaitUntilReadyAsync(timeout, cancellationToken);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        await Eventually.True(async () =>
        {
            if (!IsRunning)
            {
                // A redis-server that exited (port taken, bad argument) will not answer: say so now, not at the deadline.
                throw new InvalidOperationException($"redis-server on port {Port} exited before answering PING:\n{Tail()}");
            }

            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
            await using var stream = await OpenAsync(client.GetStream(), cancellationToken);
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
            var buffer = new byte[64];
            var n = await stream.ReadAsync(buffer, cancellationToken);
            // While it loads the append-only file Redis answers -LOADING; a guarded server answers -NOAUTH once up.
            var answer = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
            return answer.StartsWith("+PONG", StringComparison.Ordinal) || answer.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }, $"redis on port {Port} answers PING", timeout ?? TimeSpan.FromSeconds(20), () => Tail(), cancellationToken);
    }

    /// <summary>SIGKILL: Redis has no chance to rewrite or flush anything.</summary>
    public void KillHard() => _processes[^1].KillHard();

    /// <summary>Starts redis-server again on the same port and directory (after <see cref="KillHard"/>).</summary>
    public void Restart()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("redis-server is still running");
        }

        Start();
    }

    /// <summary>The log of every redis-server started here, oldest first.</summary>
    public string Tail(int chars = 2000)
    {
        var text = string.Join("\n", _processes.Select((p, i) => $"[start {i + 1}, exited: {p.HasExited}]\n{p.Output}"));
        return text.Length <= chars ? text : text[^chars..];
    }

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }

        foreach (var p in _processes)
        {
            p.Dispose();
        }

        Certificates?.Dispose();

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<Stream> OpenAsync(System.Net.Sockets.NetworkStream stream, CancellationToken cancellationToken)
    {
        if (Certificates is not { } certificates)
        {
            return stream;
        }

        var tls = new System.Net.Security.SslStream(stream, leaveInnerStreamOpen: false, (_, certificate, _, _) => TestCertificates.ChainsTo(certificates.Ca, certificate));
        using var client = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(ClientCertificatePath!, ClientKeyPath);
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [client],
        }, cancellationToken);
        return tls;
    }

    private void Start() => _processes.Add(new ChildProcess("redis", _binary, _arguments, Directory, new Dictionary<string, string>()));
}
