using Cohortly.Contracts;
using Cohortly.Modeling.Experiments;

namespace Cohortly.Grains.Services;

/// <summary>
/// What an experiment does to one response: which experiment and variant serve it, the probability the user had of
/// getting that variant (logged for inverse-propensity reads), and the variant's serving change.
/// <see cref="Counted"/> is false in a cohort the guardrail returned to the baseline: it is served the baseline and
/// its outcomes are no longer the experiment's (they would be one arm only and fake a sample-ratio mismatch).
/// </summary>
public readonly record struct ExperimentServing(string ExperimentId, string Variant, double Propensity, VariantTreatment Treatment, bool Counted);

/// <summary>
/// Per-silo copy of the running experiments, refreshed when the registry's version moves (like the catalog and
/// segmentation caches): serving asks <see cref="Assign"/>, which is pure and calls no grain.
/// </summary>
public sealed class ExperimentCache
{
    private volatile Snapshot _snapshot = Snapshot.Empty;

    public long Version => _snapshot.Version;

    public async Task RefreshAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var registry = grains.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key);
        var version = await registry.GetVersion().WaitAsync(cancellationToken);
        if (version == _snapshot.Version)
        {
            return;
        }

        Load(await registry.GetSnapshot().WaitAsync(cancellationToken));
    }

    public void Load(ExperimentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Version <= _snapshot.Version)
        {
            return;
        }

        var byCohort = new Dictionary<int, Entry>();
        Entry? everyCohort = null;
        foreach (var info in snapshot.Running)
        {
            var entry = new Entry(info);
            if (info.Plan.Definition.Cohorts is { } cohorts)
            {
                foreach (var c in cohorts)
                {
                    byCohort[c] = entry;
                }
            }
            else
            {
                everyCohort = entry;
            }
        }

        _snapshot = new Snapshot(snapshot.Version, byCohort, everyCohort);
    }

    /// <summary>
    /// The experiment serving this user in this cohort at <paramref name="now"/>, or null when none does. Fixed split:
    /// <see cref="ExperimentAssignment.Variant"/> (the cohort is not an input, so a user keeps their variant across
    /// cohorts). Bandit: the same hash bucket against the cohort's split in effect at <paramref name="now"/>.
    /// </summary>
    /// <param name="cohortId">The user's cohort now (the stratum at exposure); null for users without one (-1).</param>
    public ExperimentServing? Assign(string userId, int? cohortId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var snapshot = _snapshot;
        var cohort = cohortId ?? IOutcomeGrain.NoCohort;
        if (!snapshot.ByCohort.TryGetValue(cohort, out var entry) && (entry = snapshot.EveryCohort) is null)
        {
            return null;
        }

        var definition = entry.Definition;
        if (entry.IsReturned(cohort))
        {
            return new ExperimentServing(definition.Id, definition.Baseline, 1, entry.Treatments[0], Counted: false);
        }

        int variant;
        double propensity;
        if (definition.Allocation == AllocationMode.FixedSplit)
        {
            variant = definition.IndexOf(ExperimentAssignment.Variant(definition, userId));
            propensity = entry.Shares[variant];
        }
        else
        {
            var split = entry.SplitOf(cohort, now);
            variant = ExperimentCells.Pick(split, ExperimentAssignment.Bucket(definition.Id, userId));
            propensity = split[variant];
        }

        return new ExperimentServing(definition.Id, definition.Variants[variant].Name, propensity, entry.Treatments[variant], Counted: true);
    }

    private sealed class Entry
    {
        private readonly int[] _returned;
        private readonly Dictionary<int, IReadOnlyList<AllocationStep>> _splits = [];

        public Entry(ExperimentInfo info)
        {
            Definition = info.Plan.Definition;
            Shares = ExperimentCells.Shares(Definition);
            Treatments = new VariantTreatment[Definition.Variants.Count];
            for (var v = 0; v < Treatments.Length; v++)
            {
                Treatments[v] = info.Plan.TreatmentOf(v) ?? VariantTreatment.None;
            }

            _returned = new int[info.Returned.Count];
            for (var i = 0; i < _returned.Length; i++)
            {
                _returned[i] = info.Returned[i].CohortId;
            }

            foreach (var a in info.Allocations)
            {
                _splits[a.CohortId] = a.Steps;
            }
        }

        public ExperimentDefinition Definition { get; }

        public double[] Shares { get; }

        public VariantTreatment[] Treatments { get; }

        public bool IsReturned(int cohort) => Array.IndexOf(_returned, cohort) >= 0;

        public double[] SplitOf(int cohort, DateTimeOffset now) =>
            _splits.TryGetValue(cohort, out var steps) ? ExperimentCells.At(steps, now) ?? Shares : Shares;
    }

    private sealed record Snapshot(long Version, Dictionary<int, Entry> ByCohort, Entry? EveryCohort)
    {
        public static Snapshot Empty { get; } = new(0, [], null);
    }
}
