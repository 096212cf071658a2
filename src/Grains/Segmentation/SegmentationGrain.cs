using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Segmentation;

public sealed class SegmentationState
{
    /// <summary>Oldest first; the last entry is the current version.</summary>
    public List<SegmentationVersionInfo> History { get; set; } = [];

    /// <summary>Users erased in the last minutes, by erasure time (SegmentationGrain.Erasure.cs).</summary>
    public Dictionary<string, DateTimeOffset> Erased { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Keeps the segmentation versions and the silos' bounded feature samples of their active users, and publishes each
/// new version's labels and centroids to the cohort grains. It builds no version: the training grain runs every
/// segmentation (full training or segmentation-only) in one queue and hands the result to <see cref="Publish"/>.
/// Users re-assign on their next event via the silo cache.
/// </summary>
public sealed partial class SegmentationGrain(
    [PersistentState("segmentation", StreamNames.Storage)] IPersistentState<SegmentationState> state,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<SegmentationGrain> logger) : Grain, ISegmentationGrain, IRemindable
{
    /// <summary>The re-clustering reminder this grain had before the schedule moved to the training grain.</summary>
    private const string RetiredReminder = "recluster";
    private const int KeptVersions = 10;
    private static readonly TimeSpan StaleSample = TimeSpan.FromMinutes(10);
    private readonly Dictionary<string, FeatureSample> _samples = new(StringComparer.Ordinal);
    private Task? _firstRun;

    private SegmentationSettings Settings => options.Value.Segmentation;

    private ITrainingGrain Runs => GrainFactory.GetGrain<ITrainingGrain>(ITrainingGrain.Key);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (await this.GetReminder(RetiredReminder) is { } retired)
        {
            await this.UnregisterReminder(retired);
        }
    }

    public Task<long> GetVersion() => Task.FromResult(Current?.Version ?? 0);

    public Task<SegmentationVersionInfo?> GetCurrent() => Task.FromResult(Current);

    public Task<IReadOnlyList<SegmentationVersionInfo>> GetHistory() => Task.FromResult<IReadOnlyList<SegmentationVersionInfo>>([.. state.State.History]);

    public Task<SegmentationVersionInfo?> Find(long version)
    {
        foreach (var info in state.State.History)
        {
            if (info.Version == version)
            {
                return Task.FromResult<SegmentationVersionInfo?>(info);
            }
        }

        return Task.FromResult<SegmentationVersionInfo?>(null);
    }

    public Task SubmitSample(FeatureSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        _samples[sample.SiloId] = WithoutErased(sample);
        if (Current is null && _firstRun is not { IsCompleted: false } && SampledUsers() >= Settings.MinUsers)
        {
            LogFirstRun(logger, SampledUsers());
            // Not awaited: the run calls back into this grain for the sample and to publish.
            _firstRun = RequestFirst();
        }

        return Task.CompletedTask;
    }

    public Task<SegmentationVersionInfo> Recompute() => Runs.Resegment("manual");

    public Task<SegmentationSample> GetSample()
    {
        var (ids, rows, lastSeen) = CollectSample();
        return Task.FromResult(new SegmentationSample(ids, rows) { LastSeenMs = lastSeen });
    }

    public async Task<long> Publish(SegmentationVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.Version <= (Current?.Version ?? 0))
        {
            return Current!.Version;
        }

        state.State.History.Add(info);
        if (state.State.History.Count > KeptVersions)
        {
            state.State.History.RemoveAt(0);
        }

        await state.WriteStateAsync();
        await DefineCohorts(info);
        LogPublished(logger, info.Version, info.Producer, info.CohortIds.Count, info.SampleSize, info.TrainSeconds * 1000);
        return info.Version;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == RetiredReminder && await this.GetReminder(RetiredReminder) is { } retired)
        {
            await this.UnregisterReminder(retired);
        }
    }

    private SegmentationVersionInfo? Current => state.State.History.Count == 0 ? null : state.State.History[^1];

    private async Task RequestFirst()
    {
        try
        {
            await Runs.Resegment(ITrainingGrain.FirstSegmentationTrigger);
        }
        catch (Exception ex)
        {
            // The next sample push asks again.
            LogFirstRunFailed(logger, ex);
        }
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

    private (List<string> UserIds, List<float[]> Rows, List<long> LastSeenMs) CollectSample()
    {
        var now = time.GetUtcNow();
        var byUser = new Dictionary<string, (float[] Row, DateTimeOffset At, long? LastSeen)>(StringComparer.Ordinal);
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
                    byUser[sample.UserIds[i]] = (sample.Rows[i], sample.CollectedAt, sample.LastSeenMs.Count == sample.Rows.Count ? sample.LastSeenMs[i] : null);
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
        var lastSeen = new List<long>(ids.Count);
        var complete = true;
        foreach (var id in ids)
        {
            var entry = byUser[id];
            rows.Add(entry.Row);
            complete &= entry.LastSeen.HasValue;
            lastSeen.Add(entry.LastSeen ?? 0);
        }

        // A silo that did not report latest-event times leaves the whole sample without them: a partial list would
        // select the active users of some silos only.
        return (ids, rows, complete ? lastSeen : []);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "First segmentation requested with {Users} sampled users")]
    private static partial void LogFirstRun(ILogger logger, int users);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The first segmentation failed; the next sample push asks again")]
    private static partial void LogFirstRunFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Segmentation version {Version} ({Producer}) published: {Cohorts} cohorts from {Users} users in {Milliseconds:F0} ms")]
    private static partial void LogPublished(ILogger logger, long version, SegmentationProducer producer, int cohorts, int users, double milliseconds);
}
