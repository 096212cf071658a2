using System.ComponentModel.DataAnnotations;
using Cohortly.Demo.Synthetic;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Demo;

public sealed class DemoOptions : IValidatableObject
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

    /// <summary>
    /// Share of live sessions that start by asking for recommendations (one request per such session; the loop awaits
    /// it, so at most one demo request is in flight and the default 4 sessions/s asks for 4 lists a second).
    /// </summary>
    [Range(0.0, 1.0)]
    public double RecommendationShare { get; set; } = 1.0;

    /// <summary>Items asked for per recommendation request.</summary>
    [Range(1, 50)]
    public int RecommendationCount { get; set; } = 10;

    /// <summary>Train a model once the history is in (as an operator would), so lists are served by cohort and global models within minutes rather than at the first scheduled run.</summary>
    public bool TrainAfterHistory { get; set; } = true;

    /// <summary>
    /// After the first model, start an experiment of this name (cohort model vs global baseline, every cohort, 50/50,
    /// 200 exposures per arm before any decision) so outcomes reach a verdict while the demo runs; empty for none.
    /// </summary>
    [StringLength(64)]
    public string Experiment { get; set; } = "demo-cohort-model-vs-global";

    /// <summary>Planted ground truth, see <see cref="SyntheticWorldOptions.PositionBias"/>.</summary>
    [Range(0.0, 5.0)]
    public double PositionBias { get; set; } = 0.8;

    /// <summary>Planted ground truth, see <see cref="SyntheticWorldOptions.CohortModelLift"/>.</summary>
    [Range(0.01, 10.0)]
    public double CohortModelLift { get; set; } = 1.5;

    /// <summary>
    /// Planted ground truth, see <see cref="SyntheticWorldOptions.CohortModelSegments"/>: comma-separated behaviour types
    /// (FrequentHighSpender, WindowShopper, BargainHunter, CategoryLoyalist, DormantReturner), empty for none.
    /// </summary>
    public string CohortModelSegments { get; set; } = "FrequentHighSpender,CategoryLoyalist";

    /// <summary>Live sessions after which the demo stops (0: it runs until shutdown); for bounded runs and tests.</summary>
    [Range(0, int.MaxValue)]
    public int MaxSessions { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!TryParseSegments(CohortModelSegments, out _, out var problem))
        {
            yield return new ValidationResult(problem, [nameof(CohortModelSegments)]);
        }
    }

    /// <summary>The synthetic world these settings describe.</summary>
    public SyntheticWorldOptions ToWorldOptions()
    {
        if (!TryParseSegments(CohortModelSegments, out var segments, out var problem))
        {
            throw new InvalidOperationException(problem);
        }

        return new SyntheticWorldOptions
        {
            Users = Users,
            Items = Items,
            Categories = Categories,
            UserPrefix = "demo-",
            PositionBias = PositionBias,
            CohortModelLift = CohortModelLift,
            CohortModelSegments = segments,
        };
    }

    private static bool TryParseSegments(string? text, out IReadOnlyList<BehaviorType> segments, out string problem)
    {
        var list = new List<BehaviorType>();
        segments = list;
        problem = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<BehaviorType>(part, ignoreCase: true, out var type) || !Enum.IsDefined(type) || int.TryParse(part, out _))
            {
                problem = $"{Section}:{nameof(CohortModelSegments)}: '{part}' is not a behaviour type (one of {string.Join(", ", Enum.GetNames<BehaviorType>())})";
                return false;
            }

            if (!list.Contains(type))
            {
                list.Add(type);
            }
        }

        return true;
    }
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

    /// <summary>
    /// Recommendations for a user through the same user grain call as GET /v1/users/{userId}/recommendations;
    /// null when nothing was served.
    /// </summary>
    Task<ServedRecommendation?> RecommendAsync(string userId, int count, string device, CancellationToken cancellationToken);

    /// <summary>Runs a training as POST /v1/admin/training would and waits for it; the version it activated, or why there is none.</summary>
    Task<DemoTraining> TrainAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Starts (as POST /v1/experiments would) the cohort-model vs global-baseline experiment named <paramref name="name"/>
    /// over every cohort; null when it runs (also when it already existed), else why not.
    /// </summary>
    Task<string?> StartExperimentAsync(string name, CancellationToken cancellationToken);
}

/// <summary>What came of the demo's training after the history: the active version, or why there is none.</summary>
public sealed record DemoTraining(long? Version, string? NotDoneReason);

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
            var world = SyntheticWorld.Create(o.ToWorldOptions(), o.Seed);
            await LoadCatalog(world, stoppingToken);
            var rng = new Random(o.Seed);
            if (o.HistoryDays > 0)
            {
                var history = world.History(time.GetUtcNow(), o.HistoryDays, rng);
                LogHistory(logger, history.Count, o.Users);
                await Send(history, stoppingToken);
                await ReclusterAfterHistory(stoppingToken);
                if (o.TrainAfterHistory && await TrainAfterHistory(stoppingToken) && o.Experiment.Length > 0)
                {
                    await StartExperiment(o.Experiment, stoppingToken);
                }
            }

            await Live(world, rng, o, stoppingToken);
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

    private async Task<bool> TrainAfterHistory(CancellationToken stoppingToken)
    {
        var result = await cluster.TrainAsync(stoppingToken);
        if (result.Version is { } version)
        {
            LogTrained(logger, version);
            return true;
        }

        LogNotTrained(logger, result.NotDoneReason ?? "unknown");
        return false;
    }

    private async Task StartExperiment(string name, CancellationToken stoppingToken)
    {
        if (await cluster.StartExperimentAsync(name, stoppingToken) is { } notStarted)
        {
            LogExperimentNotStarted(logger, name, notStarted);
        }
        else
        {
            LogExperimentStarted(logger, name);
        }
    }

    private Task LoadCatalog(SyntheticWorld world, CancellationToken stoppingToken) => cluster.UpsertCatalogAsync(world.Items, stoppingToken);

    private async Task Live(SyntheticWorld world, Random rng, DemoOptions o, CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromMilliseconds(Math.Max(10, 1000 / o.SessionsPerSecond));
        using var timer = new PeriodicTimer(period, time);
        var pending = new List<SyntheticEvent>();
        var sessions = 0L;
        var served = 0L;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var user = world.PickActiveUser(rng);
            // Live sessions are compressed to "now" so the dashboard moves in real time.
            var now = time.GetUtcNow();
            if (rng.NextDouble() < o.RecommendationShare
                && await cluster.RecommendAsync(user.Id, o.RecommendationCount, user.Device, stoppingToken) is { ItemIds.Count: > 0 } list)
            {
                // The shopper answers the list first (the planted ground truth decides), then browses on their own.
                served++;
                foreach (var e in world.Responses.Session(user, list, now, rng))
                {
                    pending.Add(e with { Timestamp = now });
                }
            }

            foreach (var e in world.Session(user, now, rng))
            {
                pending.Add(e with { Timestamp = now });
            }

            sessions++;
            var last = o.MaxSessions > 0 && sessions >= o.MaxSessions;
            if (pending.Count >= 20 || last)
            {
                await Send(pending, stoppingToken);
                pending.Clear();
            }

            if (last)
            {
                LogFinished(logger, sessions, served);
                return;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo traffic: model version {Version} trained after the history")]
    private static partial void LogTrained(ILogger logger, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo traffic: no model trained after the history: {Reason}")]
    private static partial void LogNotTrained(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo traffic: experiment {Name} started (cohort model vs global baseline); GET /v1/experiments/{Name}/results")]
    private static partial void LogExperimentStarted(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo traffic: experiment {Name} not started: {Reason}")]
    private static partial void LogExperimentNotStarted(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo traffic: stopped after {Sessions} live sessions ({Served} answered a served list), as configured")]
    private static partial void LogFinished(ILogger logger, long sessions, long served);

    [LoggerMessage(Level = LogLevel.Error, Message = "Demo traffic generator stopped")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
