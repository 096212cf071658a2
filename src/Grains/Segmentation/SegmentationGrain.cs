using System.Diagnostics;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Clustering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Segmentation;

public sealed class SegmentationState
{
    /// <summary>Oldest first; the last entry is the current version.</summary>
    public List<SegmentationVersionInfo> History { get; set; } = [];
}

/// <summary>
/// Owns the segmentation versions. Silos push bounded feature samples of their active users;
/// re-clustering runs on a reminder and on demand, on the thread pool, and publishes labels and
/// centroids to the cohort grains. Users re-assign on their next event via the silo cache.
/// </summary>
public sealed partial class SegmentationGrain(
    [PersistentState("segmentation", StreamNames.Storage)] IPersistentState<SegmentationState> state,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<SegmentationGrain> logger) : Grain, ISegmentationGrain, IRemindable
{
    private const string ReminderName = "recluster";
    private const int KeptVersions = 10;
    private static readonly TimeSpan StaleSample = TimeSpan.FromMinutes(10);
    private readonly Dictionary<string, FeatureSample> _samples = new(StringComparer.Ordinal);
    private Task<SegmentationVersionInfo>? _running;

    private SegmentationSettings Settings => options.Value.Segmentation;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var period = Settings.Interval;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
    }

    public Task<long> GetVersion() => Task.FromResult(Current?.Version ?? 0);

    public Task<SegmentationVersionInfo?> GetCurrent() => Task.FromResult(Current);

    public Task<IReadOnlyList<SegmentationVersionInfo>> GetHistory() => Task.FromResult<IReadOnlyList<SegmentationVersionInfo>>([.. state.State.History]);

    public async Task SubmitSample(FeatureSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        _samples[sample.SiloId] = sample;
        if (Current is null && _running is not { IsCompleted: false } && SampledUsers() >= Settings.MinUsers)
        {
            LogFirstRun(logger, SampledUsers());
            await Recompute();
        }
    }

    public Task<SegmentationVersionInfo> Recompute()
    {
        // A run in progress is shared: a second request gets the same version.
        if (_running is not { IsCompleted: false })
        {
            _running = Run();
        }

        return _running;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName && SampledUsers() >= Settings.K)
        {
            await Recompute();
        }
    }

    public async Task<long> Publish(SegmentationVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.Version <= (Current?.Version ?? 0))
        {
            return Current!.Version;
        }

        await Append(info);
        LogPublished(logger, info.Version, info.CohortIds.Count, info.SampleSize, info.TrainSeconds * 1000);
        return info.Version;
    }

    private SegmentationVersionInfo? Current => state.State.History.Count == 0 ? null : state.State.History[^1];

    private async Task<SegmentationVersionInfo> Run()
    {
        var (userIds, rows) = CollectSample();
        if (rows.Count < 2)
        {
            throw new InsufficientDataException($"{rows.Count} active users are sampled; at least 2 are needed to segment.");
        }

        // Fewer sampled (or distinct) users than K is not a failure: the builder fits as many cohorts as there are
        // distinct users, and the published version says how many that was.

        var previousInfo = Current;
        var previous = previousInfo is null ? null : SegmentationCache.ToModel(previousInfo);
        var version = (previousInfo?.Version ?? 0) + 1;
        var segmentation = new SegmentationOptions { K = Settings.K, Seed = Settings.Seed };
        var stopwatch = Stopwatch.StartNew();
        // Clustering is CPU work: keep it off the grain scheduler.
        var (model, transitions, counts) = await Task.Run(() =>
        {
            var matrix = FeatureMatrix.FromRows(rows);
            var m = SegmentationBuilder.Build(matrix, ProfileFeatures.Names, previous, version, segmentation);
            return (m, previous is null ? [] : Transitions(previous, m, rows), SampleCounts(m, rows));
        });
        stopwatch.Stop();
        if (Current is { } newer && newer.Version >= version)
        {
            // Training published a version while this one was clustering; the newer one stands.
            return newer;
        }

        var info = new SegmentationVersionInfo
        {
            Version = version,
            CreatedAt = time.GetUtcNow(),
            FeatureNames = model.FeatureNames,
            Means = model.Scaler.Means,
            Scales = model.Scaler.Scales,
            Centroids = model.Centroids,
            CohortIds = model.CohortIds,
            Labels = model.Labels,
            SampleSize = userIds.Count,
            TrainSeconds = stopwatch.Elapsed.TotalSeconds,
            Transitions = transitions,
            SampleCounts = counts,
        };
        await Append(info);
        LogPublished(logger, version, model.CohortIds.Count, userIds.Count, stopwatch.Elapsed.TotalMilliseconds);
        return info;
    }

    private async Task Append(SegmentationVersionInfo info)
    {
        state.State.History.Add(info);
        if (state.State.History.Count > KeptVersions)
        {
            state.State.History.RemoveAt(0);
        }

        await state.WriteStateAsync();
        await DefineCohorts(info);
    }

    private async Task DefineCohorts(SegmentationVersionInfo info)
    {
        var tasks = new List<Task>(info.CohortIds.Count);
        for (var i = 0; i < info.CohortIds.Count; i++)
        {
            var centroid = new FeatureValue[info.FeatureNames.Count];
            for (var f = 0; f < centroid.Length; f++)
            {
                centroid[f] = new FeatureValue(info.FeatureNames[f], info.Centroids[i][f]);
            }

            tasks.Add(GrainFactory.GetGrain<ICohortGrain>(info.CohortIds[i]).Define(info.Labels[i], centroid, info.Version));
        }

        await Task.WhenAll(tasks);
    }

    private (List<string> UserIds, List<float[]> Rows) CollectSample()
    {
        var now = time.GetUtcNow();
        var byUser = new Dictionary<string, (float[] Row, DateTimeOffset At)>(StringComparer.Ordinal);
        foreach (var (silo, sample) in _samples.ToList())
        {
            if (now - sample.CollectedAt > StaleSample)
            {
                // A silo that stopped reporting is gone; its users live elsewhere now.
                _samples.Remove(silo);
                continue;
            }

            for (var i = 0; i < sample.UserIds.Count; i++)
            {
                if (!byUser.TryGetValue(sample.UserIds[i], out var existing) || existing.At < sample.CollectedAt)
                {
                    byUser[sample.UserIds[i]] = (sample.Rows[i], sample.CollectedAt);
                }
            }
        }

        var ids = byUser.Keys.ToList();
        ids.Sort(StringComparer.Ordinal);
        if (ids.Count > Settings.MaxSample)
        {
            var rng = new Random(Settings.Seed);
            rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids));
            ids.RemoveRange(Settings.MaxSample, ids.Count - Settings.MaxSample);
        }

        var rows = new List<float[]>(ids.Count);
        foreach (var id in ids)
        {
            rows.Add(byUser[id].Row);
        }

        return (ids, rows);
    }

    /// <summary>Where the sampled users were under the previous version and where they are now.</summary>
    private static List<TransitionCount> Transitions(SegmentationModel previous, SegmentationModel next, List<float[]> rows)
    {
        var before = new int[rows.Count];
        var after = new int[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            before[i] = previous.Assign(rows[i]);
            after[i] = next.Assign(rows[i]);
        }

        var matrix = ClusterTransitions.Compute(before, after);
        var result = new List<TransitionCount>();
        foreach (var from in matrix.FromLabels)
        {
            foreach (var to in matrix.ToLabels)
            {
                if (matrix.Count(from, to) is var n and > 0)
                {
                    result.Add(new TransitionCount(from, to, (int)n));
                }
            }
        }

        return result;
    }

    private static int[] SampleCounts(SegmentationModel model, List<float[]> rows)
    {
        var counts = new int[model.CohortIds.Count];
        foreach (var row in rows)
        {
            counts[model.NearestIndex(row, out _)]++;
        }

        return counts;
    }

    private int SampledUsers()
    {
        var n = 0;
        foreach (var sample in _samples.Values)
        {
            n += sample.UserIds.Count;
        }

        return n;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "First segmentation starts with {Users} sampled users")]
    private static partial void LogFirstRun(ILogger logger, int users);

    [LoggerMessage(Level = LogLevel.Information, Message = "Segmentation version {Version} published: {Cohorts} cohorts from {Users} users in {Milliseconds:F0} ms")]
    private static partial void LogPublished(ILogger logger, long version, int cohorts, int users, double milliseconds);
}
