using Cohortly.Modeling.Data;

namespace Cohortly.Bench;

/// <summary>
/// The shell of the HTTP bench commands: Ctrl+C cancels the run, bad arguments or input exit 2, a server that
/// rejects, fails or times out exits 1, each with one line naming the command.
/// </summary>
internal static class HttpBenchRunner
{
    public static async Task<int> RunAsync(string name, string[] args, Func<BenchArgs, string[], CancellationToken, Task<int>> run)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler cancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += cancel;
        try
        {
            return await run(new BenchArgs(args), args, cts.Token);
        }
        catch (Exception e) when (e is ArgumentException or DataFormatException or FileNotFoundException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine($"{name}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is CohortlyApiException or HttpRequestException or TimeoutException)
        {
            Console.Error.WriteLine($"{name}: FAILED: {e.Message}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= cancel;
        }
    }
}
