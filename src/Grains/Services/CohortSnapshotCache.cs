using System.Collections.Concurrent;
using Cohortly.Contracts;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Services;

/// <summary>
/// Per-silo copies of cohort snapshots (top items, labels, arms, the serving policy in effect). Filled by the flush
/// loop, which gets the fresh snapshot back from every delta it sends, and by the cache poll, which reads every cohort
/// of the current segmentation (so an idle cohort's policy change arrives too); recommendations never call a cohort
/// grain.
/// </summary>
public sealed class CohortSnapshotCache
{
    /// <summary>The pseudo-cohort holding activity of all users: the global baseline.</summary>
    public const int Global = 0;

    private readonly ConcurrentDictionary<int, Entry> _snapshots = new();

    public CohortSnapshot? Get(int cohortId) => _snapshots.GetValueOrDefault(cohortId)?.Snapshot;

    /// <summary>The cohort's live top items in the serving pipeline's form (empty when unknown).</summary>
    public IReadOnlyList<TrendingItem> TrendingOf(int cohortId) =>
        _snapshots.TryGetValue(cohortId, out var entry) ? entry.Trending : [];

    /// <summary>Bandit evidence of the cohort's published arms by item id (empty when none yet).</summary>
    public IReadOnlyDictionary<string, ArmStats> ArmsOf(int cohortId) =>
        _snapshots.TryGetValue(cohortId, out var entry) ? entry.Arms : Empty;

    /// <summary>
    /// The cohort's bandit evidence as the serving pipeline reads it, or null when the cohort has none: one delegate
    /// per published snapshot, not a closure per request.
    /// </summary>
    public Func<string, ArmEvidence?>? ArmEvidenceOf(int cohortId) =>
        _snapshots.TryGetValue(cohortId, out var entry) ? entry.Evidence : null;

    /// <summary>The cohort's serving policy in effect as its grain last published it; null: none known (serve the bundle's).</summary>
    public ServingPolicy? PolicyOf(int cohortId) =>
        _snapshots.TryGetValue(cohortId, out var entry) ? entry.Snapshot.Policy : null;

    /// <summary>True while a drift detection holds the cohort on the global weights (its grain published it).</summary>
    public bool HeldOnGlobal(int cohortId) =>
        _snapshots.TryGetValue(cohortId, out var entry) && entry.Snapshot.GlobalHoldSince is not null;

    /// <summary>
    /// Takes a snapshot unless the cache holds a newer one. The very snapshot it already holds (the poll reads every
    /// cohort every interval, and in-process the grain answers an unchanged cohort with the same object) keeps its entry:
    /// indexing it again made a new arm dictionary and trending array per cohort per poll, which lived until the next
    /// poll — long enough to survive young collections and fill the next generation for nothing (benchmarks.md, "What
    /// survives a per-user call").
    /// </summary>
    public void Put(CohortSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _snapshots.AddOrUpdate(
            snapshot.CohortId,
            static (_, s) => new Entry(s),
            static (_, old, s) => !ReferenceEquals(s, old.Snapshot) && s.UpdatedAt >= old.Snapshot.UpdatedAt ? new Entry(s) : old,
            snapshot);
    }

    private static readonly Dictionary<string, ArmStats> Empty = new(StringComparer.Ordinal);

    /// <summary>A snapshot with its arms indexed once per update, not once per request.</summary>
    private sealed class Entry(CohortSnapshot snapshot)
    {
        public CohortSnapshot Snapshot { get; } = snapshot;

        public IReadOnlyDictionary<string, ArmStats> Arms { get; } = Index(snapshot.Arms);

        public TrendingItem[] Trending { get; } = ToTrending(snapshot.TopItems);

        public Func<string, ArmEvidence?>? Evidence => Arms.Count == 0 ? null : _evidence ??= EvidenceOf;

        private Func<string, ArmEvidence?>? _evidence;

        private ArmEvidence? EvidenceOf(string itemId) =>
            Arms.TryGetValue(itemId, out var a) ? new ArmEvidence(a.Impressions, a.Rewards, a.FirstSeen) : null;

        private static TrendingItem[] ToTrending(IReadOnlyList<ItemScore> items)
        {
            var result = new TrendingItem[items.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = new TrendingItem(items[i].ItemId, items[i].Score);
            }

            return result;
        }

        private static Dictionary<string, ArmStats> Index(IReadOnlyList<ArmStats> arms)
        {
            if (arms.Count == 0)
            {
                return Empty;
            }

            var map = new Dictionary<string, ArmStats>(arms.Count, StringComparer.Ordinal);
            foreach (var a in arms)
            {
                map[a.ItemId] = a;
            }

            return map;
        }
    }

    public async Task RefreshAsync(IGrainFactory grains, IEnumerable<int> cohortIds, CancellationToken cancellationToken)
    {
        var tasks = new List<Task<CohortSnapshot>>();
        foreach (var id in cohortIds)
        {
            tasks.Add(grains.GetGrain<ICohortGrain>(id).GetSnapshot());
        }

        foreach (var snapshot in await Task.WhenAll(tasks).WaitAsync(cancellationToken))
        {
            Put(snapshot);
        }
    }
}
