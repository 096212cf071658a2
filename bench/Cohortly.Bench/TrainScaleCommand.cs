using System.Diagnostics;
using System.Globalization;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Training;

namespace Cohortly.Bench;

/// <summary>
/// <c>train-scale</c>: the silo's training run (<see cref="TrainingPipeline.Run"/>, default options unless given) on a
/// seeded synthetic log generated on the fly (<see cref="SyntheticTrainingLog"/>), stage by stage: wall seconds, peak
/// RSS, managed heap at the end and bytes allocated; then iALS seconds per iteration at the run's factor count.
/// </summary>
internal static class TrainScaleCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        try
        {
            var a = new BenchArgs(args);
            var users = a.GetInt("users", 1_000_000);
            var items = a.GetInt("items", 100_000);
            var interactions = a.GetInt("interactions", 20_000_000);
            var seed = a.GetInt("seed", 42);
            var options = new TrainingOptions
            {
                Factors = a.GetInt("factors", 64),
                IalsIterations = a.GetInt("iterations", new TrainingOptions().IalsIterations),
                Ranker = !a.Has("no-ranker"),
                Tuning = new TrainingTuningOptions { MaxFitUsers = a.GetInt("tuning-max-fit-users", new TrainingTuningOptions().MaxFitUsers) },
            };
            Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"log: {interactions:N0} interactions, {users:N0} users, {items:N0} items, seed {seed} (generated on read, not stored)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"options: factors {options.Factors}, ials iterations {options.IalsIterations}, ranker {options.Ranker}, tuning budget {options.Tuning.Budget}, cap {options.Tuning.Cap}, max fit users {options.Tuning.MaxFitUsers}"));
            Console.WriteLine($"load average at start: {LoadAverage()}");
            var result = Measure(users, items, interactions, seed, options, Console.WriteLine);
            Console.WriteLine(Format(result, options));
            Console.WriteLine($"load average at end: {LoadAverage()}");
            return Task.FromResult(0);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"train-scale: {e.Message}");
            return Task.FromResult(2);
        }
    }

    /// <summary>Generates the log, runs the pipeline under a <see cref="TrainingStageMeter"/>, and returns what it measured.</summary>
    public static TrainScaleResult Measure(int users, int items, int interactions, int seed, TrainingOptions options, Action<string>? log = null)
    {
        var now = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        var events = new SyntheticTrainingLog(users, items, interactions, seed, now);
        var catalog = events.Catalog();
        var setup = watch.Elapsed.TotalSeconds;
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"generator ready in {setup:F2} s, rss {Mb(TrainingStageMeter.CurrentRss())} MiB"));
        var meter = new TrainingStageMeter(s => log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"stage {s.Stage} ended: {s.Seconds:F2} s wall, {s.CpuSeconds:F2} s cpu, peak rss {Mb(s.PeakRssBytes)} MiB, managed {s.ManagedBytes / (1024 * 1024)} MiB")));
        watch.Restart();
        var bundle = TrainingPipeline.Run(new TrainingInput(events, catalog, [], null, 1, now), options, meter, CancellationToken.None);
        var total = watch.Elapsed.TotalSeconds;
        return new TrainScaleResult(
            meter.Stages,
            meter.PeakIsPerStage,
            total,
            TrainingStageMeter.PeakRss(),
            bundle.UserIds.Count,
            bundle.ItemIds.Count,
            bundle.Summary.HoldoutNdcgGlobal,
            bundle.Summary.HoldoutNdcgCohort,
            Tuning(bundle.Tuning));
    }

    /// <summary>The tuner's outcome in one line: what it chose (the served configuration) and whether its cap stopped it.</summary>
    private static string Tuning(TuningReport? report)
    {
        if (report is null)
        {
            return "none";
        }

        var chosen = new List<string>();
        foreach (var (name, value) in report.Chosen)
        {
            chosen.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={value}"));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{report.Trials.Count} configurations, stopped by {report.Stopped ?? "none"}; {report.Reason}; chosen {string.Join(", ", chosen)}");
    }

    public static string Format(TrainScaleResult r, TrainingOptions options)
    {
        var lines = new List<string>
        {
            string.Empty,
            "stage          seconds   cpu s   peak rss MiB   managed MiB   allocated MiB   ials s  ials cpu s",
        };
        foreach (var s in r.Stages)
        {
            var ials = s.Stage is "backbone" or "refit" && s.FirstPartSeconds is { } f ? f.ToString("F2", CultureInfo.InvariantCulture) : "";
            var ialsCpu = s.Stage is "backbone" or "refit" && s.FirstPartCpuSeconds is { } c ? c.ToString("F2", CultureInfo.InvariantCulture) : "";
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{s.Stage,-12} {s.Seconds,9:F2} {s.CpuSeconds,7:F2} {Mb(s.PeakRssBytes),14} {s.ManagedBytes / (1024 * 1024),13} {s.AllocatedBytes / (1024 * 1024),15} {ials,8} {ialsCpu,11}"));
        }

        var cpuTotal = 0.0;
        foreach (var s in r.Stages)
        {
            cpuTotal += s.CpuSeconds;
        }

        lines.Add(string.Create(CultureInfo.InvariantCulture, $"total {r.TotalSeconds:F2} s wall, {cpuTotal:F2} s cpu; peak rss {(r.PeakIsPerStage ? "per stage (VmHWM reset at each stage start)" : "running (VmHWM reset refused)")}; peak rss of the last stage's window {Mb(r.FinalPeakRssBytes)} MiB"));
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"trained: {r.Users:N0} users, {r.Items:N0} items; holdout ndcg global {r.NdcgGlobal:F4} / cohort {r.NdcgCohort:F4}"));
        lines.Add($"tuning: {r.Tuning}");
        foreach (var s in r.Stages)
        {
            if (s.Stage is "backbone" or "refit" && s.FirstPartSeconds is { } seconds)
            {
                var iterations = Math.Max(1, options.IalsIterations);
                var cpu = s.FirstPartCpuSeconds ?? 0;
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"ials ({s.Stage}): {seconds:F2} s wall, {cpu:F2} s cpu for {iterations} iterations at {options.Factors} factors = {seconds / iterations:F3} s/iteration wall, {cpu / iterations:F3} cpu s/iteration ({cpu / iterations / Environment.ProcessorCount:F3} s/iteration if the {Environment.ProcessorCount} cores were free; goal <= 11 s; includes the initialisation and the final Gramian)"));
            }
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string Mb(long? bytes) => bytes is { } b ? (b / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>What one <c>train-scale</c> run measured.</summary>
internal sealed record TrainScaleResult(
    IReadOnlyList<StageMeasurement> Stages,
    bool PeakIsPerStage,
    double TotalSeconds,
    long? FinalPeakRssBytes,
    int Users,
    int Items,
    double NdcgGlobal,
    double NdcgCohort,
    string Tuning);
