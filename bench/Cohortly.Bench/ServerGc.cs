using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;

namespace Cohortly.Bench;

/// <summary>
/// A full garbage collection in the server process, asked for from outside it: the bench opens an EventPipe session
/// on the process's diagnostics port with the runtime provider's GCHeapCollect keyword, which makes the runtime run
/// a blocking gen2 collection (what dotnet-gcdump uses). The production API has no hook for it; only a process on
/// the same machine, under the same user, can reach the diagnostics port.
/// </summary>
internal sealed class ServerGc(int pid)
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const long GcHeapCollectKeyword = 0x800000;

    public int ProcessId { get; } = pid;

    /// <summary>
    /// --server-pid, or else the one .NET process on this machine that publishes a diagnostics port and is the gateway
    /// (the apphost Cohortly.Gateway, or dotnet running Cohortly.Gateway.dll).
    /// </summary>
    public static ServerGc Find(BenchArgs a)
    {
        if (a.Get("server-pid") is { } given)
        {
            return new ServerGc(int.Parse(given, CultureInfo.InvariantCulture));
        }

        var found = new List<int>();
        foreach (var pid in DiagnosticsClient.GetPublishedProcesses())
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                if (process.ProcessName == "Cohortly.Gateway" || CommandLine(pid).Contains("Cohortly.Gateway.dll", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                // Exited since it was listed, or not ours to read.
            }
        }

        return found.Count == 1
            ? new ServerGc(found[0])
            : throw new ArgumentException($"found {found.Count} Cohortly.Gateway processes; name the server with --server-pid");
    }

    /// <summary>The process's arguments on Linux (NUL-separated); empty elsewhere.</summary>
    private static string CommandLine(int pid) =>
        File.Exists($"/proc/{pid}/cmdline") ? File.ReadAllText($"/proc/{pid}/cmdline") : "";

    /// <summary>
    /// Starts the collection and returns once <paramref name="fullCollections"/> (the server's gen2 count, read
    /// through its stats) shows it happened, so what is read next is measured after it.
    /// </summary>
    public async Task CollectAsync(Func<Task<int>> fullCollections, TimeSpan timeout)
    {
        var before = await fullCollections();
        var client = new DiagnosticsClient(ProcessId);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider(RuntimeProvider, EventLevel.Informational, GcHeapCollectKeyword)],
            requestRundown: false,
            circularBufferMB: 16);
        // The runtime writes the collection's events to the session; reading them keeps its buffer from filling.
        var drain = session.EventStream.CopyToAsync(Stream.Null);
        var deadline = Stopwatch.StartNew();
        try
        {
            while (await fullCollections() <= before)
            {
                if (deadline.Elapsed > timeout)
                {
                    throw new TimeoutException($"process {ProcessId} ran no full collection within {timeout.TotalSeconds:F0} s of the EventPipe request");
                }

                await Task.Delay(50);
            }
        }
        finally
        {
            await session.StopAsync(CancellationToken.None);
            await drain;
        }
    }
}
