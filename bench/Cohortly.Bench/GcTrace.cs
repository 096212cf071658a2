using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Cohortly.Bench;

/// <summary>
/// What the server's collections did during a phase, read from its runtime's GC events over EventPipe (the GC keyword
/// at Informational level: start/end, suspension, heap stats, mark by root): per generation the count and the pause
/// (suspension to restart), the bytes promoted (survivors copied out of the collected generations) and, of the bytes
/// marked, how many were reached through the card table from an older generation (an old object pointing at a young
/// one: what a long-lived structure written on a request makes survive). The counts and pauses answer "how often and
/// how long"; promoted and through-cards answer "what survives, and why". Load with --gc-trace (LoadCommand).
/// </summary>
internal sealed class GcTrace : IAsyncDisposable
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const long GcKeyword = 0x1;

    // GCMarkWithType's root kinds (gcinterface.h, gc_root_kind): 3 is "older generation" (the card table).
    private const int MarkTypeOlder = 3;

    private readonly EventPipeSession _session;
    private readonly Task _reader;
    private readonly int[] _counts = new int[3];
    private readonly double[] _pauseMs = new double[3];
    private readonly double[] _maxPauseMs = new double[3];
    private readonly long[] _promoted = new long[3];
    private readonly long[] _markedOlder = new long[3];
    private readonly long[] _markedAll = new long[3];
    private readonly double[] _suspendMs = new double[3];
    private readonly double[] _workMs = new double[3];
    private double _suspendStart = -1;
    private double _suspended = -1;
    private double _gcStart = -1;
    private int _currentDepth = -1;
    private readonly Lock _gate = new();

    private GcTrace(int pid)
    {
        var client = new DiagnosticsClient(pid);
        _session = client.StartEventPipeSession(
            [new EventPipeProvider(RuntimeProvider, EventLevel.Informational, GcKeyword)],
            requestRundown: false,
            circularBufferMB: 64);
        _reader = Task.Run(Read);
    }

    public static GcTrace Start(int pid) => new(pid);

    private void Read()
    {
        using var source = new EventPipeEventSource(_session.EventStream);
        var clr = new ClrTraceEventParser(source);
        clr.GCSuspendEEStart += e => { lock (_gate) { _suspendStart = e.TimeStampRelativeMSec; } };
        clr.GCSuspendEEStop += e => { lock (_gate) { _suspended = e.TimeStampRelativeMSec; } };
        clr.GCStart += e => { lock (_gate) { _currentDepth = Math.Clamp(e.Depth, 0, 2); _gcStart = e.TimeStampRelativeMSec; } };
        clr.GCStop += e => { lock (_gate) { if (_currentDepth >= 0 && _gcStart >= 0) { _workMs[_currentDepth] += e.TimeStampRelativeMSec - _gcStart; } } };
        clr.GCMarkWithType += OnMark;
        clr.GCHeapStats += OnHeapStats;
        clr.GCRestartEEStop += OnRestart;
        source.Process();
    }

    private void OnMark(GCMarkWithTypeTraceData e)
    {
        lock (_gate)
        {
            if (_currentDepth < 0)
            {
                return;
            }

            _markedAll[_currentDepth] += e.Promoted;
            if (e.Type == MarkTypeOlder)
            {
                _markedOlder[_currentDepth] += e.Promoted;
            }
        }
    }

    private void OnHeapStats(GCHeapStatsTraceData e)
    {
        lock (_gate)
        {
            if (_currentDepth < 0)
            {
                return;
            }

            // Promoted out of each collected generation (gen0's survivors go to gen1, gen1's to gen2).
            _promoted[_currentDepth] += e.TotalPromotedSize0 + (_currentDepth >= 1 ? e.TotalPromotedSize1 : 0);
        }
    }

    private void OnRestart(GCNoUserDataTraceData e)
    {
        lock (_gate)
        {
            if (_currentDepth < 0 || _suspendStart < 0)
            {
                return;
            }

            var pause = e.TimeStampRelativeMSec - _suspendStart;
            _counts[_currentDepth]++;
            _pauseMs[_currentDepth] += pause;
            _maxPauseMs[_currentDepth] = Math.Max(_maxPauseMs[_currentDepth], pause);
            if (_suspended >= _suspendStart)
            {
                _suspendMs[_currentDepth] += _suspended - _suspendStart;
            }

            _currentDepth = -1;
            _suspendStart = -1;
            _suspended = -1;
            _gcStart = -1;
        }
    }

    /// <summary>Stops the session, waits for the events already written, and describes the phase in one line per generation.</summary>
    public async Task<string> StopAsync()
    {
        await _session.StopAsync(CancellationToken.None);
        await _reader.WaitAsync(TimeSpan.FromSeconds(30));
        lock (_gate)
        {
            var lines = new List<string>(3);
            for (var g = 0; g < 3; g++)
            {
                if (_counts[g] == 0)
                {
                    continue;
                }

                lines.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"gen{g}: {_counts[g]} collections, {_pauseMs[g]:F0} ms paused (mean {_pauseMs[g] / _counts[g]:F2}, max {_maxPauseMs[g]:F2}; mean suspension {_suspendMs[g] / _counts[g]:F2}, mean collection {_workMs[g] / _counts[g]:F2}), promoted {_promoted[g] / 1024.0 / _counts[g]:F0} KiB per collection, marked {_markedAll[g] / 1024.0 / _counts[g]:F0} KiB per collection of which {_markedOlder[g] / 1024.0 / _counts[g]:F0} KiB through cards from older generations"));
            }

            return lines.Count == 0 ? "no collections traced" : string.Join("\n  ", lines);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _session.Dispose();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is TimeoutException or EndOfStreamException or IOException or InvalidOperationException)
        {
            // The session is gone; nothing more to read.
        }
    }
}
