using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Cohortly.Demo.Synthetic;

namespace Cohortly.Bench;

/// <summary>
/// <c>load --live-events N</c>: events sent at a steady N per second (open loop: a batch of <c>--live-batch</c> events
/// is due every batch/N seconds, sent whether or not the previous one answered) while each recommend phase runs, so
/// every target — the floor included — is measured under the same live traffic. What that adds to a read: users whose
/// profile changed since training are folded in instead of read from their trained row, their grains apply and save
/// events between reads, and the silo's stream agents hold every stream that had an event within
/// <c>Cohortly:Streams:Inactivity</c> and look through them on every poll.
/// </summary>
internal sealed class LiveEvents : IAsyncDisposable
{
    /// <summary>Sends still unanswered beyond this are skipped (counted), so a stalled server cannot pile up sockets.</summary>
    private const int MaxInFlight = 64;

    private readonly HttpClient _http;
    private readonly SyntheticWorld _world;
    private readonly int _perSecond;
    private readonly int _batch;
    private readonly Random _rng;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<double> _latencies = [];
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Task _run;
    private long _accepted;
    private long _throttled;
    private long _failed;
    private long _skipped;
    private int _inFlight;

    private LiveEvents(HttpClient http, SyntheticWorld world, int perSecond, int batch, int seed)
    {
        (_http, _world, _perSecond, _batch) = (http, world, perSecond, batch);
        _rng = new Random(seed);
        _run = Task.Run(Run);
    }

    /// <summary>Starts sending, or returns null when <paramref name="perSecond"/> is not positive.</summary>
    public static LiveEvents? Start(HttpClient http, SyntheticWorld world, int perSecond, int batch, int seed) =>
        perSecond > 0 ? new LiveEvents(http, world, perSecond, Math.Clamp(batch, 1, perSecond), seed) : null;

    private async Task Run()
    {
        var interval = TimeSpan.FromSeconds((double)_batch / _perSecond);
        var pending = new List<Task>();
        for (long due = 0; !_stop.IsCancellationRequested; due++)
        {
            var wait = (interval * due) - _watch.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            if (Volatile.Read(ref _inFlight) >= MaxInFlight)
            {
                _skipped++;
                continue;
            }

            Interlocked.Increment(ref _inFlight);
            pending.Add(Send(NextBody()));
            pending.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(pending);
    }

    /// <summary>One event each from <c>batch</c> random users, timestamped now (the first event of a fresh session).</summary>
    private byte[] NextBody()
    {
        var now = DateTimeOffset.UtcNow;
        var events = new List<SyntheticEvent>(_batch);
        while (events.Count < _batch)
        {
            var user = _world.Users[_rng.Next(_world.Users.Count)];
            events.Add(_world.Session(user, now, _rng)[0]);
        }

        return LoadCommand.Body(events);
    }

    private async Task Send(byte[] body)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await _http.PostAsync("/v1/events", content);
            if (response.IsSuccessStatusCode)
            {
                var result = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<JsonNode>(response.Content);
                Interlocked.Add(ref _accepted, result?["accepted"]?.GetValue<int>() ?? 0);
            }
            else if ((int)response.StatusCode == 503)
            {
                Interlocked.Increment(ref _throttled);
            }
            else
            {
                Interlocked.Increment(ref _failed);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            // A refused connection, the client's timeout or an unreadable answer: counted, and the phase goes on.
            Interlocked.Increment(ref _failed);
        }
        finally
        {
            lock (_latencies)
            {
                _latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Stops sending, waits for the sends in flight, and prints what was sent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        var elapsed = _watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"live events: {_accepted} accepted in {elapsed:F1} s = {_accepted / elapsed:F0} events/s (asked {_perSecond}/s in batches of {_batch}); throttled (503) batches {_throttled}, failed {_failed}, skipped ({MaxInFlight} unanswered) {_skipped}; batch latency {LoadCommand.Percentiles(_latencies)}"));
        _stop.Dispose();
    }
}
