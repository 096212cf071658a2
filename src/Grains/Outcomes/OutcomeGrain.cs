using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Cohortly.Grains.Outcomes;

public sealed class OutcomeGrainState
{
    public OutcomeStoreState Store { get; set; } = new();

    /// <summary>The last sequence applied per sending silo, and when (senders quiet for a week are forgotten).</summary>
    public Dictionary<string, SenderMark> Senders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether this cohort is registered with the outcome index.</summary>
    public bool Indexed { get; set; }
}

public sealed record SenderMark(long Sequence, DateTimeOffset Seen);

/// <summary>
/// One cohort's outcomes (key = cohort id, -1 = no cohort) in minute, hour and day buckets. Receives one batch per
/// silo per second and applies each silo's sequence once; writes behind. The buckets live in an
/// <see cref="OutcomeStore"/> and are copied into the stored state only when it is written.
/// </summary>
public sealed class OutcomeGrain(
    [PersistentState("outcomes", StreamNames.Storage)] IPersistentState<OutcomeGrainState> state,
    IOptions<CohortlyOptions> options,
    CohortlyBackend backend,
    TimeProvider time) : Grain, IOutcomeGrain
{
    private static readonly TimeSpan SenderMemory = TimeSpan.FromDays(7);
    private OutcomeStore _store = null!;
    private bool _dirty;
    private long _prunedMinute;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value.Outcomes;
        _store = OutcomeStore.FromState(state.State.Store, settings.Retention());
        // The live store is the truth; release the stored copy until the next write.
        state.State.Store = new OutcomeStoreState();
        this.RegisterGrainTimer(static (g, ct) => g.Persist(ct), this, new GrainTimerCreationOptions(settings.WriteBehind, settings.WriteBehind));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        backend.SavesOnDeactivation(reason) ? Persist(cancellationToken) : Task.CompletedTask;

    public async Task Apply(OutcomeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var s = state.State;
        if (!s.Indexed)
        {
            // Before applying: if this fails, nothing is applied and the silo resends the batch.
            await GrainFactory.GetGrain<IOutcomeIndexGrain>(IOutcomeIndexGrain.Key).Register((int)this.GetPrimaryKeyLong());
            s.Indexed = true;
        }

        var now = time.GetUtcNow();
        if (s.Senders.TryGetValue(batch.Sender, out var mark) && batch.Sequence <= mark.Sequence)
        {
            // A resend of a batch applied before its call failed.
            return;
        }

        foreach (var entry in batch.Entries)
        {
            _store.Add(entry.Key, entry.Counts, entry.Minute);
        }

        s.Senders[batch.Sender] = new SenderMark(batch.Sequence, now);
        PruneOncePerMinute(now);
        _dirty = true;
    }

    public Task<IReadOnlyList<OutcomeRow>> GetRows(OutcomeGranularity granularity, DateTimeOffset from, DateTimeOffset to)
    {
        PruneOncePerMinute(time.GetUtcNow());
        return Task.FromResult<IReadOnlyList<OutcomeRow>>(_store.Rows(granularity, from, to));
    }

    private void PruneOncePerMinute(DateTimeOffset now)
    {
        var minute = now.UtcTicks / TimeSpan.TicksPerMinute;
        if (minute == _prunedMinute)
        {
            return;
        }

        _prunedMinute = minute;
        if (_store.Prune(now) > 0)
        {
            _dirty = true;
        }

        List<string>? quiet = null;
        foreach (var (sender, mark) in state.State.Senders)
        {
            if (now - mark.Seen > SenderMemory)
            {
                (quiet ??= []).Add(sender);
            }
        }

        if (quiet is not null)
        {
            foreach (var sender in quiet)
            {
                state.State.Senders.Remove(sender);
            }

            _dirty = true;
        }
    }

    private async Task Persist(CancellationToken cancellationToken)
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        state.State.Store = _store.ToState();
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            _dirty = true;
            throw;
        }
        finally
        {
            state.State.Store = new OutcomeStoreState();
        }
    }
}

public sealed class OutcomeIndexState
{
    public List<int> Cohorts { get; set; } = [];
}

/// <summary>The cohort ids with outcomes. Each outcome grain registers once in its life, so this is never on a hot path.</summary>
public sealed class OutcomeIndexGrain(
    [PersistentState("outcome-index", StreamNames.Storage)] IPersistentState<OutcomeIndexState> state) : Grain, IOutcomeIndexGrain
{
    public async Task Register(int cohortId)
    {
        var cohorts = state.State.Cohorts;
        var at = cohorts.BinarySearch(cohortId);
        if (at >= 0)
        {
            return;
        }

        cohorts.Insert(~at, cohortId);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<int>> GetCohorts() => Task.FromResult<IReadOnlyList<int>>([.. state.State.Cohorts]);
}

/// <summary>Answers outcome queries next to the caller: reads the cohorts' buckets and groups them (src/Modeling).</summary>
[StatelessWorker]
public sealed class OutcomeReportGrain(IOptions<CohortlyOptions> options, TimeProvider time) : Grain, IOutcomeReportGrain
{
    public async Task<OutcomeReport> Query(OutcomeQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        IReadOnlyList<int> cohorts = query.CohortId is { } id
            ? [id]
            : await GrainFactory.GetGrain<IOutcomeIndexGrain>(IOutcomeIndexGrain.Key).GetCohorts();
        var reads = new Task<IReadOnlyList<OutcomeRow>>[cohorts.Count];
        for (var i = 0; i < cohorts.Count; i++)
        {
            reads[i] = GrainFactory.GetGrain<IOutcomeGrain>(cohorts[i]).GetRows(query.Granularity, query.From, query.To);
        }

        var rows = new List<OutcomeRow>();
        foreach (var read in await Task.WhenAll(reads))
        {
            rows.AddRange(read);
        }

        var groups = OutcomeGrouping.Summarize(rows, query.GroupBy);
        var reports = new List<OutcomeGroupReport>(groups.Count);
        foreach (var g in groups)
        {
            var points = new List<OutcomePointReport>(g.Points.Count);
            foreach (var p in g.Points)
            {
                points.Add(new OutcomePointReport(p.Start, p.Metrics));
            }

            reports.Add(new OutcomeGroupReport(g.Key, g.Total, points));
        }

        return new OutcomeReport(OutcomeTime.Start(query.Granularity, query.From), query.To, query.Granularity, query.GroupBy, reports);
    }

    public async Task<PolicyEvaluationReport> EvaluatePolicies(PolicyEvaluationQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        // Hour buckets while the range is within their retention, day buckets beyond (an older hour bucket is gone).
        var granularity = time.GetUtcNow() - query.From <= options.Value.Outcomes.Retention().Hour ? OutcomeGranularity.Hour : OutcomeGranularity.Day;
        var rows = await GrainFactory.GetGrain<IOutcomeGrain>(query.CohortId).GetRows(granularity, query.From, query.To);
        // Every key of the cohort: decisions that placed the greedy arm count under the response's key, explored ones under Explored.
        var sums = default(SlotDecisionSums);
        foreach (var row in rows)
        {
            sums = sums.Plus(row.Counts.Decisions);
        }

        var epsilons = new double[query.Epsilons.Count];
        for (var i = 0; i < epsilons.Length; i++)
        {
            epsilons[i] = query.Epsilons[i];
        }

        var estimates = EpsilonGreedyEvaluation.Estimate(sums, epsilons);
        var candidates = new List<CandidatePolicyEstimate>(estimates.Length);
        foreach (var e in estimates)
        {
            var x = e.Estimate;
            candidates.Add(new CandidatePolicyEstimate(
                e.Epsilon,
                new Estimate(x.Ips, x.IpsLower, x.IpsUpper),
                new Estimate(x.SelfNormalized, x.SelfNormalizedLower, x.SelfNormalizedUpper),
                x.EffectiveSampleSize));
        }

        return new PolicyEvaluationReport(
            query.CohortId,
            OutcomeTime.Start(granularity, query.From),
            query.To,
            sums.Decisions,
            sums.Rewards,
            EpsilonGreedyEvaluation.Observed(sums),
            candidates);
    }
}
