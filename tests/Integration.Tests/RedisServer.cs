namespace Cohortly.Integration.Tests;

/// <summary>A throwaway redis-server on a free loopback port (Debian package redis-server).</summary>
public sealed class RedisServer : IDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    public RedisServer()
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install -y redis-server); .ci/run installs it.");
        Port = Ports.Free();
        _directory = Directory.CreateTempSubdirectory("cohortly-redis-").FullName;
        _process = new ChildProcess("redis", binary, ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory], _directory, new Dictionary<string, string>());
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task WaitUntilReadyAsync()
    {
        await Eventually.True(async () =>
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var n = await stream.ReadAsync(buffer);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }, "redis answers PING", TimeSpan.FromSeconds(20), () => _process.Tail());
    }

    public void Dispose()
    {
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
