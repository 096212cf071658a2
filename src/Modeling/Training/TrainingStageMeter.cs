using System.Diagnostics;
using System.Globalization;

namespace Cohortly.Modeling.Training;

/// <summary>
/// One training stage as measured from outside the run: wall seconds, the process's peak resident memory while it ran
/// (null where the OS does not say), the managed heap when it ended and the bytes it allocated. <see cref="FirstPartSeconds"/>
/// is the time to the stage's first inner progress report (in the backbone and refit stages: the iALS fit). CPU seconds
/// are the process's (all threads): on a shared machine they say what the stage costs when wall time says how long
/// it waited for a core.
/// </summary>
public sealed record StageMeasurement(string Stage, double Seconds, long? PeakRssBytes, long ManagedBytes, long AllocatedBytes, double? FirstPartSeconds)
{
    public double CpuSeconds { get; init; }

    public double? FirstPartCpuSeconds { get; init; }
}

/// <summary>
/// Measures a <see cref="TrainingPipeline.Run"/> stage by stage from its progress reports (which arrive on the training
/// thread, synchronously). On Linux the process's peak RSS (VmHWM) is reset at every stage start (/proc/self/clear_refs),
/// so each stage gets its own peak; where the reset is refused the peak is the running one and <see cref="PeakIsPerStage"/>
/// says so.
/// </summary>
public sealed class TrainingStageMeter : IProgress<TrainingProgress>
{
    private readonly List<StageMeasurement> _stages = [];
    private readonly Action<StageMeasurement>? _ended;
    private readonly Stopwatch _watch = new();
    private string? _current;
    private double? _firstPart;
    private double? _firstPartCpu;
    private long _allocatedAtStart;
    private TimeSpan _cpuAtStart;

    /// <param name="ended">Called with each stage's measurement as the stage ends (on the training thread): a long run
    /// that is stopped still shows the stages it finished.</param>
    public TrainingStageMeter(Action<StageMeasurement>? ended = null)
    {
        _ended = ended;
        PeakIsPerStage = ResetPeak();
    }

    public bool PeakIsPerStage { get; }

    public IReadOnlyList<StageMeasurement> Stages => _stages;

    public void Report(TrainingProgress value)
    {
        if (value.Stage == _current)
        {
            if (value.Fraction < 1.0)
            {
                if (_firstPart is null)
                {
                    _firstPart = _watch.Elapsed.TotalSeconds;
                    _firstPartCpu = (Cpu() - _cpuAtStart).TotalSeconds;
                }

                return;
            }
        }

        Close();
        if (value.Fraction >= 1.0)
        {
            return;
        }

        _current = value.Stage;
        _firstPart = null;
        _firstPartCpu = null;
        if (PeakIsPerStage)
        {
            ResetPeak();
        }

        _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: false);
        _cpuAtStart = Cpu();
        _watch.Restart();
    }

    /// <summary>The process's peak resident set (VmHWM) in bytes, or null when /proc/self/status is not there.</summary>
    public static long? PeakRss() => StatusField("VmHWM:");

    /// <summary>The process's current resident set (VmRSS) in bytes, or null when /proc/self/status is not there.</summary>
    public static long? CurrentRss() => StatusField("VmRSS:");

    private void Close()
    {
        if (_current is null)
        {
            return;
        }

        var seconds = _watch.Elapsed.TotalSeconds;
        var measured = new StageMeasurement(
            _current,
            seconds,
            PeakRss(),
            GC.GetTotalMemory(forceFullCollection: false),
            GC.GetTotalAllocatedBytes(precise: false) - _allocatedAtStart,
            _firstPart)
        {
            CpuSeconds = (Cpu() - _cpuAtStart).TotalSeconds,
            FirstPartCpuSeconds = _firstPartCpu,
        };
        _stages.Add(measured);
        _current = null;
        _ended?.Invoke(measured);
    }

    private static TimeSpan Cpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static bool ResetPeak()
    {
        try
        {
            // "5" resets the peak resident set size (proc(5), clear_refs).
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    private static long? StatusField(string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    var parts = line[name.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return null;
    }
}
