using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Drift;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Drift;

public sealed class DriftMonitorState
{
    /// <summary>When each detector last fired per cohort, and what it suppressed since.</summary>
    public DriftCooldowns Cooldowns { get; set; } = new();
}

/// <summary>
/// The drift monitor: a shell over <see cref="DriftMonitor"/> (Modeling). Each pass reads the complete outcome minutes
/// every outcome grain gathered since the previous pass (one call per cohort per pass) and the segmentation grain's
/// live sample, feeds the detectors, and for each detection outside its cooldown runs the configured action and raises
/// an alert that records it. The rate windows are kept in memory and rebuilt from the outcome grains' minute buckets
/// after a reactivation; only the cooldowns are stored, so a rebuilt window that finds the same drift again stays quiet.
/// </summary>
public sealed partial class DriftMonitorGrain(
    [PersistentState("drift", StreamNames.Storage)] IPersistentState<DriftMonitorState> state,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<DriftMonitorGrain> logger) : Grain, IDriftMonitorGrain, IRemindable
{
    private const string ReminderName = "drift";

    /// <summary>A minute is read once it ended this long ago: silos flush outcomes about once a second.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    /// <summary>Every series keeps a day of points; one point per outcome minute or pass, so 1,500 covers a day of 1-minute passes.</summary>
    private static readonly TimeSpan HistoryRetention = TimeSpan.FromHours(24);
    private const int HistoryCapacity = 1500;

    private readonly DriftHistory _history = new(HistoryRetention, HistoryCapacity);
    private DriftMonitor? _monitor;
    private DateTimeOffset? _through;

    private DriftSettings Settings => options.Value.Drift;

    private DriftMonitor Monitor => _monitor ??= new DriftMonitor(Settings.Monitor());

    public async Task EnsureScheduled()
    {
        if (Settings.Enabled)
        {
            await this.RegisterOrUpdateReminder(ReminderName, Settings.Interval, Settings.Interval);
        }
        else if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName)
        {
            return;
        }

        try
        {
            await Check();
        }
        catch (Exception ex)
        {
            LogPassFailed(logger, ex);
        }
    }

    public Task<IReadOnlyList<DriftSeriesView>> GetHistory(DriftHistoryQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        DriftDetectorKind? detector = null;
        if (query.Source is not null)
        {
            if (!DriftDetection.TryParseSource(query.Source, out var kind))
            {
                return Task.FromResult<IReadOnlyList<DriftSeriesView>>([]);
            }

            detector = kind;
        }

        var series = _history.Query(time.GetUtcNow(), detector, query.CohortId, query.Feature, query.Since);
        var views = new List<DriftSeriesView>(series.Count);
        foreach (var s in series)
        {
            var points = new DriftPointView[s.Points.Count];
            for (var i = 0; i < points.Length; i++)
            {
                points[i] = new DriftPointView(s.Points[i].At, s.Points[i].Value, s.Points[i].Threshold);
            }

            views.Add(new DriftSeriesView(DriftDetection.SourceOf(s.Detector), s.CohortId, s.Feature, DriftDetection.StatisticOf(s.Detector, s.Feature), points));
        }

        return Task.FromResult<IReadOnlyList<DriftSeriesView>>(views);
    }

    public async Task<DriftCheckReport> Check()
    {
        var now = time.GetUtcNow();
        var detections = new List<DriftDetection>();
        var minutes = await ReadOutcomes(now, detections);
        var (sampled, segmentationVersion) = await CheckPopulation(now, detections);

        var results = new List<DriftCheckDetection>(detections.Count);
        var cooldowns = state.State.Cooldowns;
        var changed = false;
        AlertActionRecord? retrained = null;
        foreach (var d in detections)
        {
            changed = true;
            if (!cooldowns.TryFire(d.CooldownKey, now, Settings.Cooldown, out var suppressed))
            {
                results.Add(new DriftCheckDetection(d.Source, d.CohortId, d.Statistic, d.Value, d.Threshold, null, true));
                continue;
            }

            // One training run serves every detection of a pass that asks for one.
            var action = Settings.Actions.For(d.Detector) == DriftAction.Retrain && retrained is not null ? retrained : await Act(d);
            if (action.Action == DriftAction.Retrain && action.RunId is not null)
            {
                retrained = action;
            }

            var message = suppressed > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{d.Message} ({suppressed} detection(s) suppressed by the cooldown since it last fired.)")
                : d.Message;
            Alert? alert = null;
            try
            {
                alert = await GrainFactory.RaiseAlert(new AlertInput(d.Source, d.CohortId, d.Statistic, d.Value, d.Threshold, message) { Action = action });
            }
            catch (Exception ex)
            {
                LogAlertFailed(logger, d.Source, d.CohortId, ex);
            }

            LogDetected(logger, d.Source, d.CohortId, d.Value, d.Threshold, action.Action, action.Outcome);
            results.Add(new DriftCheckDetection(d.Source, d.CohortId, d.Statistic, d.Value, d.Threshold, alert, false));
        }

        if (changed)
        {
            await state.WriteStateAsync();
        }

        return new DriftCheckReport(now, minutes, _through ?? now, sampled, segmentationVersion, results);
    }

    /// <summary>Feeds the rate detectors every complete minute not fed yet (after a reactivation: the whole window).</summary>
    private async Task<int> ReadOutcomes(DateTimeOffset now, List<DriftDetection> detections)
    {
        var end = FloorMinute(now - Settle);
        var earliest = end - Settings.Window;
        var start = _through is { } through && through > earliest ? through : earliest;
        if (start >= end)
        {
            return 0;
        }

        var cohorts = await GrainFactory.GetGrain<IOutcomeIndexGrain>(IOutcomeIndexGrain.Key).GetCohorts();
        var reads = new Task<IReadOnlyList<OutcomeRow>>[cohorts.Count];
        for (var i = 0; i < reads.Length; i++)
        {
            reads[i] = GrainFactory.GetGrain<IOutcomeGrain>(cohorts[i]).GetRows(OutcomeGranularity.Minute, start, end);
        }

        await Task.WhenAll(reads);
        var byMinute = new SortedDictionary<DateTimeOffset, Dictionary<int, MinuteOutcome>>();
        for (var i = 0; i < reads.Length; i++)
        {
            foreach (var row in reads[i].Result)
            {
                if (row.Start < start || row.Start >= end)
                {
                    continue;
                }

                if (!byMinute.TryGetValue(row.Start, out var minute))
                {
                    minute = [];
                    byMinute[row.Start] = minute;
                }

                var sums = minute.GetValueOrDefault(cohorts[i]);
                sums.Add(row.Key, row.Counts);
                minute[cohorts[i]] = sums;
            }
        }

        var statistics = new List<DriftStatistic>();
        foreach (var (at, minute) in byMinute)
        {
            statistics.Clear();
            detections.AddRange(Monitor.ObserveMinute(minute, statistics));
            foreach (var s in statistics)
            {
                _history.Record(at, s);
            }
        }

        _through = end;
        return byMinute.Count;
    }

    private async Task<(int Sampled, long Version)> CheckPopulation(DateTimeOffset now, List<DriftDetection> detections)
    {
        var segmentation = GrainFactory.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        if (await segmentation.GetCurrent() is not { } current)
        {
            return (0, 0);
        }

        var sample = await segmentation.GetSample();
        if (sample.Rows.Count < Settings.MinLiveSample)
        {
            return (0, current.Version);
        }

        var check = Monitor.MeasurePopulation(SegmentationCache.ToModel(current), current.SampleCounts, current.FeatureReference, sample.Rows, sample.LastSeenMs, current.FeatureReferenceWindow, current.ActiveCohortCounts);
        detections.AddRange(check.Detections);
        foreach (var s in check.Statistics(Monitor.Options))
        {
            _history.Record(now, s);
        }

        return (sample.Rows.Count, current.Version);
    }

    /// <summary>Runs the detector's configured action; never throws (a failure is the action's outcome).</summary>
    private async Task<AlertActionRecord> Act(DriftDetection detection)
    {
        var action = Settings.Actions.For(detection.Detector);
        try
        {
            switch (action)
            {
                case DriftAction.Retrain:
                    var status = await GrainFactory.GetGrain<ITrainingGrain>(ITrainingGrain.Key).Start();
                    // Pending until the run ends: the training grain reports its result to the alerts, which record it here.
                    return Record(action, DriftActionOutcome.Pending, $"training run {status.RunId} queued ({status.State.ToString().ToLowerInvariant()})") with { RunId = status.RunId };
                case DriftAction.ServeGlobal when detection.CohortId is not { } c || c < 1:
                    return Record(action, DriftActionOutcome.NotApplicable, "serving the global model needs a cohort; this detection is about all users");
                case DriftAction.ServeGlobal:
                    var cohort = detection.CohortId!.Value;
                    var snapshot = await GrainFactory.GetGrain<ICohortGrain>(cohort).ServeGlobalUntilNextVersion($"{detection.Source}: {detection.Message}");
                    return Record(
                        action,
                        DriftActionOutcome.Succeeded,
                        snapshot.UsesAdaptedModel
                            ? $"cohort {cohort} is served by the global weights until the next activated model version"
                            : $"cohort {cohort} is held on the global weights until the next activated model version (it served them already)");
                default:
                    return Record(DriftAction.AlertOnly, DriftActionOutcome.None, "alert only");
            }
        }
        catch (Exception ex)
        {
            LogActionFailed(logger, action, detection.Source, detection.CohortId, ex);
            return Record(action, DriftActionOutcome.Failed, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private AlertActionRecord Record(DriftAction action, DriftActionOutcome outcome, string detail) => new(action, outcome, detail, time.GetUtcNow());

    private static DateTimeOffset FloorMinute(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drift {Source} (cohort {CohortId}): {Value} against {Threshold}; action {Action}: {Outcome}")]
    private static partial void LogDetected(ILogger logger, string source, int? cohortId, double value, double threshold, DriftAction action, DriftActionOutcome outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Drift action {Action} for {Source} (cohort {CohortId}) failed")]
    private static partial void LogActionFailed(ILogger logger, DriftAction action, string source, int? cohortId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Raising the alert of {Source} (cohort {CohortId}) failed")]
    private static partial void LogAlertFailed(ILogger logger, string source, int? cohortId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A drift monitor pass failed; the next reminder tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
