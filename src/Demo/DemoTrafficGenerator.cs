using System.ComponentModel.DataAnnotations;
using Cohortly.Demo.Synthetic;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Demo;

public sealed class DemoOptions
{
    public const string Section = "Cohortly:Demo";

    /// <summary>Null: on in embedded mode, off in cluster mode.</summary>
    public bool? Enabled { get; set; }

    [Range(10, 1_000_000)]
    public int Users { get; set; } = 600;

    [Range(1, 20_000)]
    public int Items { get; set; } = 2000;

    [Range(1, 200)]
    public int Categories { get; set; } = 20;

    /// <summary>Days of history sent first, so cohorts have behaviour to separate.</summary>
    [Range(0, 365)]
    public int HistoryDays { get; set; } = 21;

    /// <summary>Live sessions started per second after the history.</summary>
    [Range(0.1, 10_000)]
    public double SessionsPerSecond { get; set; } = 4;

    public int Seed { get; set; } = 42;
}

/// <summary>What came of the re-segmentation after the history: a version and its sample, or why there is none.</summary>
public sealed record DemoSegmentation(long? Version, int SampleSize, string? NotDoneReason);

/// <summary>
/// What the demo needs from the cluster it drives; the host implements it over its own ingestion path, so demo events
/// are validated and counted like POST /v1/events.
/// </summary>
public interface IDemoCluster
{
    Task UpsertCatalogAsync(IReadOnlyList<SyntheticItem> items, CancellationToken cancellationToken);

    /// <summary>Sends one batch (at most 500 events); false when the cluster is busy and took none of it.</summary>
    Task<bool> TrySendAsync(IReadOnlyList<SyntheticEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// Once every silo has pushed a sample of the complete histories, a fresh segmentation version, as an operator
    /// would ask for.
    /// </summary>
    Task<DemoSegmentation> ResegmentAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Makes the embedded cluster come alive: loads a synthetic catalog, sends a few weeks of history
/// for users of planted behaviour types, then streams live sessions through the same ingestion path
/// as POST /v1/events.
/// </summary>
public sealed partial class DemoTrafficGenerator(
    IDemoCluster cluster,
    IOptions<DemoOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<DemoTrafficGenerator> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WaitForStart(stoppingToken);
            var o = options.Value;
            var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = o.Users, Items = o.Items, Categories = o.Categories, UserPrefix = "demo-" }, o.Seed);
            await LoadCatalog(world, stoppingToken);
            var rng = new Random(o.Seed);
            if (o.HistoryDays > 0)
            {
                var history = world.History(time.GetUtcNow(), o.HistoryDays, rng);
                LogHistory(logger, history.Count, o.Users);
                await Send(history, stoppingToken);
                await ReclusterAfterHistory(stoppingToken);
            }

            await Live(world, rng, o.SessionsPerSecond, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex);
        }
    }

    private async Task WaitForStart(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }

    /// <summary>The first segmentation ran on partial histories while they streamed in; the demo asks for a fresh one.</summary>
    private async Task ReclusterAfterHistory(CancellationToken stoppingToken)
    {
        var result = await cluster.ResegmentAsync(stoppingToken);
        if (result.Version is { } version)
        {
            LogReclustered(logger, version, result.SampleSize);
        }
        else
        {
            LogNotReclustered(logger, result.NotDoneReason ?? "unknown");
        }
    }

    private Task LoadCatalog(SyntheticWorld world, CancellationToken stoppingToken) => cluster.UpsertCatalogAsync(world.Items, stoppingToken);

    private async Task Live(SyntheticWorld world, Random rng, double sessionsPerSecond, CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromMilliseconds(Math.Max(10, 1000 / sessionsPerSecond));
        using var timer = new PeriodicTimer(period, time);
        var pending = new List<SyntheticEvent>();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var user = world.PickActiveUser(rng);
            // Live sessions are compressed to "now" so the dashboard moves in real time.
            var session = world.Session(user, time.GetUtcNow(), rng);
            var now = time.GetUtcNow();
            foreach (var e in session)
            {
                pending.Add(e with { Timestamp = now });
            }

            if (pending.Count >= 20)
            {
                await Send(pending, stoppingToken);
                pending.Clear();
            }
        }
    }

    private async Task Send(IReadOnlyList<SyntheticEvent> events, CancellationToken stoppingToken)
    {
        for (var start = 0; start < events.Count; start += BatchSize)
        {
            var count = Math.Min(BatchSize, events.Count - start);
            var batch = new SyntheticEvent[count];
            for (var i = 0; i < count; i++)
            {
                batch[i] = events[start + i];
            }

            // Busy: the silo is catching up; the demo waits like a well-behaved client.
            while (!await cluster.TrySendAsync(batch, stoppingToken))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo traffic: sending {Events} history events for {Users} synthetic users, then live sessions")]
    private static partial void LogHistory(ILogger logger, int events, int users);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo traffic: segmentation version {Version} from {Users} users after the history")]
    private static partial void LogReclustered(ILogger logger, long version, int users);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo traffic: no segmentation after the history: {Reason}")]
    private static partial void LogNotReclustered(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Demo traffic generator stopped")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
