using System.Globalization;
using System.Runtime.InteropServices;

namespace Cohortly.Bench;

/// <summary>Small pieces of the copy-pasteable summaries: the machine, the date, percentiles.</summary>
internal static class BenchReport
{
    public static string Machine()
    {
        var memory = "unknown memory";
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    memory = string.Create(CultureInfo.InvariantCulture, $"{kb / 1048576.0:F1} GiB");
                    break;
                }
            }
        }
        catch (IOException)
        {
            // Not Linux: the memory stays unknown rather than guessed.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return $"{Environment.ProcessorCount} cores, {memory}, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}";
    }

    public static string Date() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Command(string name, string[] args) => "Cohortly.Bench " + name + " " + string.Join(' ', Redacted(args));

    /// <summary>Percentiles by nearest rank (the value below which q of the samples fall).</summary>
    public static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static string Percentiles(IReadOnlyCollection<double> values, string unit = "ms")
    {
        if (values.Count == 0)
        {
            return "n/a";
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"p50 {Percentile(sorted, 0.50):F2} {unit}, p95 {Percentile(sorted, 0.95):F2} {unit}, p99 {Percentile(sorted, 0.99):F2} {unit}, max {sorted[^1]:F2} {unit} (n={sorted.Length})");
    }

    // Keys are secrets: the summary is meant to be pasted into docs.
    private static IEnumerable<string> Redacted(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            yield return args[i];
            if (args[i] is "--key" or "--admin-key" && i + 1 < args.Length)
            {
                yield return "***";
                i++;
            }
        }
    }
}
