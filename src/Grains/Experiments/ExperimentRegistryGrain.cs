using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Experiments;

public sealed class ExperimentRegistryState
{
    /// <summary>Moves whenever what silos serve changes (an experiment starts or stops, a cohort returns, a bandit split moves).</summary>
    public long Version { get; set; }

    public List<ExperimentRecord> Experiments { get; set; } = [];
}

public sealed class ExperimentRecord
{
    public ExperimentPlan Plan { get; set; } = null!;

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset? Stopped { get; set; }

    public List<CohortReturn> Returned { get; set; } = [];

    /// <summary>Bandit splits per cohort, oldest first, pruned to the minute retention of outcomes.</summary>
    public Dictionary<int, List<AllocationStep>> Allocations { get; set; } = [];

    /// <summary>The last look's report: the always-valid p-values never rise above it (their running minimum).</summary>
    public ExperimentReport? LastReport { get; set; }

    public string Id => Plan.Definition.Id;

    public ExperimentInfo ToInfo()
    {
        var allocations = new List<CohortAllocation>(Allocations.Count);
        foreach (var (cohort, steps) in Allocations)
        {
            allocations.Add(new CohortAllocation(cohort, [.. steps]));
        }

        allocations.Sort(static (a, b) => a.CohortId.CompareTo(b.CohortId));
        return new ExperimentInfo(Plan, Stopped is null ? ExperimentStatus.Running : ExperimentStatus.Stopped, Created, Stopped, [.. Returned], allocations);
    }
}

/// <summary>
/// The experiment registry: definitions, their lifecycle and everything the statistics decide about serving.
/// Silos poll <see cref="GetVersion"/> and serve from their cache; the grain reads outcomes only on its evaluation
/// timer and when results are asked for. The statistics are <see cref="ExperimentAnalyzer"/> and
/// <see cref="ThompsonAllocator"/> (src/Modeling); this grain picks the rows, keeps the previous report and acts.
/// </summary>
public sealed partial class ExperimentRegistryGrain(
    [PersistentState("experiments", StreamNames.Storage)] IPersistentState<ExperimentRegistryState> state,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<ExperimentRegistryGrain> logger) : Grain, IExperimentRegistryGrain
{
    public const string GuardrailSource = "experiment-guardrail";

    // Seeded: the Monte Carlo draws of P(best) and of the bandit split are reproducible per activation.
    private readonly Random _random = new(20_261_205);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var period = options.Value.Experiments.Evaluation;
        this.RegisterGrainTimer(static (g, _) => g.Evaluate(), this, new GrainTimerCreationOptions(period, period));
        return Task.CompletedTask;
    }

    public async Task<ExperimentCreation> Create(ExperimentPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var errors = plan.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"{errors[0].Field}: {errors[0].Message}", nameof(plan));
        }

        var definition = plan.Definition;
        foreach (var e in state.State.Experiments)
        {
            if (string.Equals(e.Id, definition.Id, StringComparison.Ordinal))
            {
                return new ExperimentCreation(null, "name", $"an experiment named '{definition.Id}' exists (names are assignment salts and are never reused)");
            }

            if (e.Stopped is null && Overlaps(e.Plan.Definition, definition, out var cohort))
            {
                return new ExperimentCreation(
                    null,
                    "cohorts",
                    cohort is { } c
                        ? string.Create(CultureInfo.InvariantCulture, $"cohort {c} is already in running experiment '{e.Id}' (a cohort is in at most one)")
                        : $"running experiment '{e.Id}' covers every cohort (a cohort is in at most one)");
            }
        }

        var record = new ExperimentRecord { Plan = plan, Created = time.GetUtcNow() };
        state.State.Experiments.Add(record);
        state.State.Version++;
        await state.WriteStateAsync();
        LogCreated(logger, definition.Id, definition.Variants.Count, definition.Allocation);
        return new ExperimentCreation(record.ToInfo());
    }

    public Task<IReadOnlyList<ExperimentInfo>> List()
    {
        var list = new List<ExperimentInfo>(state.State.Experiments.Count);
        foreach (var e in state.State.Experiments)
        {
            list.Add(e.ToInfo());
        }

        return Task.FromResult<IReadOnlyList<ExperimentInfo>>(list);
    }

    public Task<ExperimentInfo?> Get(string id) => Task.FromResult(Find(id)?.ToInfo());

    public async Task<ExperimentInfo?> Stop(string id)
    {
        if (Find(id) is not { } record)
        {
            return null;
        }

        if (record.Stopped is null)
        {
            record.Stopped = time.GetUtcNow();
            state.State.Version++;
            await state.WriteStateAsync();
        }

        return record.ToInfo();
    }

    public async Task<ExperimentResults?> Results(string id)
    {
        if (Find(id) is not { } record)
        {
            return null;
        }

        var (results, changed) = await Look(record, act: record.Stopped is null);
        if (changed)
        {
            await state.WriteStateAsync();
        }

        return results;
    }

    public async Task Evaluate()
    {
        var changed = false;
        foreach (var record in state.State.Experiments.ToArray())
        {
            if (record.Stopped is not null)
            {
                continue;
            }

            try
            {
                changed |= (await Look(record, act: true)).Changed;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEvaluationFailed(logger, record.Id, ex);
            }
        }

        if (changed)
        {
            await state.WriteStateAsync();
        }
    }

    public Task<long> GetVersion() => Task.FromResult(state.State.Version);

    public Task<ExperimentSnapshot> GetSnapshot()
    {
        var running = new List<ExperimentInfo>();
        foreach (var e in state.State.Experiments)
        {
            if (e.Stopped is null)
            {
                running.Add(e.ToInfo());
            }
        }

        return Task.FromResult(new ExperimentSnapshot(state.State.Version, running));
    }

    /// <summary>
    /// One look: reads the experiment's outcome rows, analyzes them and, when <paramref name="act"/>, returns harmed
    /// cohorts to the baseline (raising an alert) and moves the bandit splits.
    /// </summary>
    private async Task<(ExperimentResults Results, bool Changed)> Look(ExperimentRecord record, bool act)
    {
        var definition = record.Plan.Definition;
        var now = time.GetUtcNow();
        var (granularity, from) = RangeOf(record, now);
        var to = (record.Stopped ?? now) + TimeSpan.FromMinutes(1);
        var rows = await ReadRows(definition, granularity, from, to);
        var before = new Dictionary<int, DateTimeOffset>();
        foreach (var r in record.Returned)
        {
            before[r.CohortId] = r.At;
        }

        var changed = false;
        ExperimentReport? report = null;
        List<BanditCohortResult>? bandit = null;
        if (definition.Allocation == AllocationMode.FixedSplit)
        {
            var cells = ExperimentCells.Fixed(definition, rows, before);
            report = ExperimentAnalyzer.Analyze(definition, cells, record.LastReport, _random);
            if (act)
            {
                record.LastReport = report;
                changed = true;
                foreach (var action in report.GuardrailActions)
                {
                    if (await ReturnToBaseline(record, action, now))
                    {
                        state.State.Version++;
                    }
                }
            }
        }
        else
        {
            bandit = [];
            var steps = new Dictionary<int, IReadOnlyList<AllocationStep>>();
            foreach (var (cohort, list) in record.Allocations)
            {
                steps[cohort] = list;
            }

            var shares = ExperimentCells.Shares(definition);
            foreach (var (cohort, arms) in ExperimentCells.Weighted(definition, rows, steps, before))
            {
                var split = record.Allocations.TryGetValue(cohort, out var list) ? ExperimentCells.At(list, now) ?? shares : shares;
                bandit.Add(new BanditCohortResult(cohort, ThompsonAllocator.Estimate(arms), split));
            }

            if (act)
            {
                changed = MoveSplits(record, ExperimentCells.Fixed(definition, rows, before), now);
                if (changed)
                {
                    state.State.Version++;
                }
            }
        }

        return (new ExperimentResults(record.ToInfo(), now, from, to, granularity, report, bandit), changed);
    }

    private async Task<bool> ReturnToBaseline(ExperimentRecord record, ReturnToBaseline action, DateTimeOffset now)
    {
        foreach (var r in record.Returned)
        {
            if (r.CohortId == action.CohortId)
            {
                return false;
            }
        }

        var definition = record.Plan.Definition;
        var evidence = action.Evidence;
        var returned = new CohortReturn(action.CohortId, action.Variant, evidence.Metric, evidence.Sequential.PValue, now);
        record.Returned.Add(returned);
        // Written before the alert: the return is the action, the alert only reports it.
        await state.WriteStateAsync();
        var message = string.Create(
            CultureInfo.InvariantCulture,
            $"Experiment '{definition.Id}': cohort {action.CohortId} returned to '{definition.Baseline}' because '{action.Variant}' is worse on {Name(evidence.Metric)} ({evidence.VariantValue:0.####} vs {evidence.BaselineValue:0.####}, always-valid p = {evidence.Sequential.PValue:0.####} ≤ {definition.GuardrailAlpha}).");
        LogReturned(logger, definition.Id, action.CohortId, action.Variant);
        try
        {
            await GrainFactory.RaiseAlert(new AlertInput(
                GuardrailSource,
                action.CohortId,
                $"always-valid p-value ({Name(evidence.Metric)}, {action.Variant} vs {definition.Baseline})",
                evidence.Sequential.PValue,
                definition.GuardrailAlpha,
                message));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAlertFailed(logger, definition.Id, ex);
        }

        return true;
    }

    /// <summary>Recomputes each cohort's Thompson split; it takes effect at a minute boundary far enough ahead for every silo's cache to have it.</summary>
    private bool MoveSplits(ExperimentRecord record, List<ExperimentCell> cells, DateTimeOffset now)
    {
        var definition = record.Plan.Definition;
        var cohorts = new SortedSet<int>();
        foreach (var cell in cells)
        {
            cohorts.Add(cell.CohortId);
        }

        var o = options.Value;
        var lead = (2 * o.CachePoll) + TimeSpan.FromSeconds(5);
        var from = OutcomeTime.Start(OutcomeGranularity.Minute, now + lead).AddMinutes(1);
        var keepFrom = now - o.Outcomes.MinuteRetention;
        var changed = false;
        foreach (var cohort in cohorts)
        {
            var evidence = ExperimentCells.Evidence(definition, cohort, cells);
            var split = ThompsonAllocator.Allocate(evidence, definition.BanditFloor, _random);
            if (!record.Allocations.TryGetValue(cohort, out var steps))
            {
                steps = [];
                record.Allocations[cohort] = steps;
            }

            // A step not yet in effect is replaced by the newer evidence.
            steps.RemoveAll(s => s.From >= from);
            steps.Add(new AllocationStep(from, split.Probabilities));
            var firstKept = steps.FindLastIndex(s => s.From <= keepFrom);
            if (firstKept > 0)
            {
                steps.RemoveRange(0, firstKept);
            }

            changed = true;
        }

        return changed;
    }

    private (OutcomeGranularity Granularity, DateTimeOffset From) RangeOf(ExperimentRecord record, DateTimeOffset now)
    {
        var o = options.Value.Outcomes;
        var age = now - record.Created;
        if (record.Plan.Definition.Allocation == AllocationMode.ThompsonSampling)
        {
            // Propensities are known per minute; older minutes are pruned, so a bandit is read over the minute retention.
            var earliest = now - o.MinuteRetention + TimeSpan.FromMinutes(1);
            return (OutcomeGranularity.Minute, record.Created > earliest ? record.Created : earliest);
        }

        // The finest buckets that still cover the whole run (a bucket holds no exposure of the experiment before it started).
        if (age < o.MinuteRetention - TimeSpan.FromMinutes(2))
        {
            return (OutcomeGranularity.Minute, record.Created);
        }

        return age < o.HourRetention - TimeSpan.FromHours(2)
            ? (OutcomeGranularity.Hour, record.Created)
            : (OutcomeGranularity.Day, record.Created);
    }

    private async Task<List<OutcomeRow>> ReadRows(ExperimentDefinition definition, OutcomeGranularity granularity, DateTimeOffset from, DateTimeOffset to)
    {
        IReadOnlyList<int> cohorts = definition.Cohorts
            ?? await GrainFactory.GetGrain<IOutcomeIndexGrain>(IOutcomeIndexGrain.Key).GetCohorts();
        var reads = new Task<IReadOnlyList<OutcomeRow>>[cohorts.Count];
        for (var i = 0; i < cohorts.Count; i++)
        {
            reads[i] = GrainFactory.GetGrain<IOutcomeGrain>(cohorts[i]).GetRows(granularity, from, to);
        }

        var rows = new List<OutcomeRow>();
        foreach (var read in await Task.WhenAll(reads))
        {
            rows.AddRange(read);
        }

        return rows;
    }

    private ExperimentRecord? Find(string id)
    {
        foreach (var e in state.State.Experiments)
        {
            if (string.Equals(e.Id, id, StringComparison.Ordinal))
            {
                return e;
            }
        }

        return null;
    }

    private static bool Overlaps(ExperimentDefinition a, ExperimentDefinition b, out int? cohort)
    {
        cohort = null;
        if (a.Cohorts is null || b.Cohorts is null)
        {
            return true;
        }

        foreach (var c in b.Cohorts)
        {
            if (a.IncludesCohort(c))
            {
                cohort = c;
                return true;
            }
        }

        return false;
    }

    private static string Name(ExperimentMetric metric) => metric switch
    {
        ExperimentMetric.ClickThroughRate => "ctr",
        ExperimentMetric.ConversionRate => "conversion",
        _ => "revenuePerImpression",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id} started with {Variants} variants ({Allocation})")]
    private static partial void LogCreated(ILogger logger, string id, int variants, AllocationMode allocation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Id}: cohort {CohortId} returned to the baseline (guardrail on {Variant})")]
    private static partial void LogReturned(ILogger logger, string id, int cohortId, string variant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evaluating experiment {Id} failed; the next look retries")]
    private static partial void LogEvaluationFailed(ILogger logger, string id, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Id}: raising the guardrail alert failed")]
    private static partial void LogAlertFailed(ILogger logger, string id, Exception exception);
}
