using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Cohortly.Bench;

/// <summary>
/// A lean open-loop HTTP/1.1 GET driver for loopback benchmarks: pre-encoded requests, a fixed set of keep-alive
/// connections, and a response reader that understands exactly what Kestrel sends (Content-Length or chunked).
/// </summary>
/// <remarks>
/// The load client shares this 2-core machine with the server, and HttpClient costs it ~100 µs of CPU per request
/// (headers, pooling, content objects), a large slice of the machine at thousands of requests per second. Requests
/// are scheduled at fixed times; each waits for a free connection if all are busy, and its latency counts from the
/// scheduled time, so a slow server cannot hide behind a slow client (no coordinated omission).
/// </remarks>
internal static class RawHttpLoad
{
    /// <param name="SendDelaysMs">Per request, from its due time to its send starting: the client's own share of the latency
    /// (a late dispatcher wake-up, a busy connection, the client's GC), reported so a client stall is not read as the server's.</param>
    public sealed record Result(double[] LatenciesMs, int Errors, double ElapsedSeconds, double[] SendDelaysMs);

    public static async Task<Result> RunAsync(Uri baseAddress, string apiKey, IReadOnlyList<string> paths, int rate, int connections)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(baseAddress.Host == "localhost" ? "127.0.0.1" : baseAddress.Host), baseAddress.Port);
        var requests = new byte[paths.Count][];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = Encoding.ASCII.GetBytes($"GET {paths[i]} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nX-Api-Key: {apiKey}\r\nAccept: application/json\r\n\r\n");
        }

        var latencies = new double[requests.Length];
        var sendDelays = new double[requests.Length];
        var errors = 0;
        var queue = Channel.CreateUnbounded<(int Index, long Scheduled)>(new UnboundedChannelOptions { SingleWriter = true });
        var open = new List<Connection>(connections);
        for (var c = 0; c < connections; c++)
        {
            open.Add(await Connection.OpenAsync(endpoint));
        }

        var workers = open.Select(connection => Task.Run(async () =>
        {
            await foreach (var (index, scheduled) in queue.Reader.ReadAllAsync())
            {
                sendDelays[index] = Stopwatch.GetElapsedTime(scheduled).TotalMilliseconds;
                try
                {
                    if (await connection.GetAsync(requests[index]) != 200)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception e) when (e is SocketException or IOException or InvalidDataException)
                {
                    Interlocked.Increment(ref errors);
                    await connection.ReconnectAsync(endpoint);
                }

                latencies[index] = Stopwatch.GetElapsedTime(scheduled).TotalMilliseconds;
            }
        })).ToArray();

        var start = await ReleaseOnSchedule(requests.Length, rate, (index, scheduled) => queue.Writer.TryWrite((index, scheduled)));
        queue.Writer.Complete();
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        foreach (var connection in open)
        {
            connection.Dispose();
        }

        return new Result(latencies, errors, elapsed, sendDelays);
    }

    /// <summary>
    /// Open-loop schedule: request i is due at start + i / rate and is released (with its due timestamp) as soon as the
    /// dispatcher wakes after that. The dispatcher is a dedicated thread that sleeps ~1 ms between releases instead of
    /// spinning, because the client shares the machine with the server. (It used to await Task.Delay(1), whose
    /// wake-ups go through the timer queue and the thread pool: requests started 2.2–2.4 ms after their due time at
    /// the median and 8–9 ms at p99, all of it counted as the server's latency.) Latency still counts from the due
    /// time, so dispatch delay counts against the measurement, never for it. Returns the start timestamp.
    /// </summary>
    public static Task<long> ReleaseOnSchedule(int total, int rate, Action<int, long> release)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new Thread(() =>
        {
            try
            {
                var start = Stopwatch.GetTimestamp();
                var ticksPerRequest = Stopwatch.Frequency / (double)rate;
                var next = 0;
                while (next < total)
                {
                    var now = Stopwatch.GetTimestamp();
                    while (next < total && start + (long)(next * ticksPerRequest) <= now)
                    {
                        release(next, start + (long)(next * ticksPerRequest));
                        next++;
                    }

                    if (next < total)
                    {
                        Thread.Sleep(1);
                    }
                }

                done.SetResult(start);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "load dispatcher",
        };
        dispatcher.Start();
        return done.Task;
    }

    private sealed class Connection : IDisposable
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private Socket _socket;
        private int _start;
        private int _end;

        private Connection(Socket socket) => _socket = socket;

        public static async Task<Connection> OpenAsync(IPEndPoint endpoint) => new(await ConnectAsync(endpoint));

        public async Task ReconnectAsync(IPEndPoint endpoint)
        {
            _socket.Dispose();
            _start = _end = 0;
            _socket = await ConnectAsync(endpoint);
        }

        /// <summary>Sends one request and reads its whole response; returns the status code.</summary>
        public async Task<int> GetAsync(byte[] request)
        {
            await _socket.SendAsync(request, SocketFlags.None);
            int headerEnd;
            while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
            {
                await FillAsync();
            }

            var headers = _buffer.AsSpan(_start, headerEnd);
            // "HTTP/1.1 200 OK"
            if (headers.Length < 12 || !Utf8Parser.TryParse(headers.Slice(9, 3), out int status, out _))
            {
                throw new InvalidDataException("malformed status line");
            }

            var length = ContentLength(headers);
            var chunked = length < 0 && headers.IndexOf("chunked"u8) >= 0;
            _start += headerEnd + 4;
            if (chunked)
            {
                await SkipChunksAsync();
            }
            else
            {
                await SkipAsync(Math.Max(0, length));
            }

            return status;
        }

        public void Dispose() => _socket.Dispose();

        private static async Task<Socket> ConnectAsync(IPEndPoint endpoint)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endpoint);
            return socket;
        }

        private static int ContentLength(ReadOnlySpan<byte> headers)
        {
            var at = headers.IndexOf("\r\nContent-Length:"u8);
            if (at < 0)
            {
                at = headers.IndexOf("\r\ncontent-length:"u8);
            }

            if (at < 0)
            {
                return -1;
            }

            var value = headers[(at + 17)..].TrimStart((byte)' ');
            return Utf8Parser.TryParse(value, out int length, out _) ? length : -1;
        }

        private async Task SkipChunksAsync()
        {
            while (true)
            {
                int lineEnd;
                while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
                {
                    await FillAsync();
                }

                var line = _buffer.AsSpan(_start, lineEnd);
                var semicolon = line.IndexOf((byte)';');
                if (!Utf8Parser.TryParse(semicolon >= 0 ? line[..semicolon] : line, out int size, out _, 'X'))
                {
                    throw new InvalidDataException("malformed chunk size");
                }

                _start += lineEnd + 2;
                await SkipAsync(size + 2); // the chunk and its CRLF; the last chunk (0) is followed by the final CRLF
                if (size == 0)
                {
                    return;
                }
            }
        }

        private async Task SkipAsync(int count)
        {
            while (count > 0)
            {
                if (_start == _end)
                {
                    await FillAsync();
                }

                var take = Math.Min(count, _end - _start);
                _start += take;
                count -= take;
            }
        }

        private async Task FillAsync()
        {
            if (_start == _end)
            {
                _start = _end = 0;
            }
            else if (_end == _buffer.Length)
            {
                // Keep the unread part (a response head never fills the buffer).
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("connection closed by the server");
            }

            _end += read;
        }
    }
}
