using System.Globalization;
using StackExchange.Redis;

namespace Cohortly.TestSupport;

/// <summary>
/// A throwaway redis-server on a free loopback port (Debian package redis-server). With an append-only file it can be
/// killed and started again on the same port and directory, and comes back with every write it acknowledged.
/// The one launcher for every test project and the bench.
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
    public RedisServer(string? appendFsync = null)
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
        _arguments = appendFsync is null
            ? ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Directory]
            : ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", appendFsync, "--dir", Directory];
        _multiplexer = new(() => ConnectionMultiplexer.Connect(ConnectionString));
        Start();
    }

    public int Port { get; }

    public string Directory { get; }

    public string? AppendFsync { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Process id of the running redis-server (the newest one after a restart).</summary>
    public int ProcessId => _processes[^1].Id;

    public bool IsRunning => _processes.Count > 0 && !_processes[^1].HasExited;

    /// <summary>The tests' own connection, for looking at what the code under test wrote; opened on first use.</summary>
    public ConnectionMultiplexer Multiplexer => _multiplexer.Value;

    public IDatabase Database => Multiplexer.GetDatabase();

    /// <summary>Starts redis-server and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(string? appendFsync = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var server = new RedisServer(appendFsync);
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
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
            var buffer = new byte[16];
            var n = await stream.ReadAsync(buffer, cancellationToken);
            // While it loads the append-only file Redis answers -LOADING.
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
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

    private void Start() => _processes.Add(new ChildProcess("redis", _binary, _arguments, Directory, new Dictionary<string, string>()));
}
