using System.Collections.Concurrent;
using Cohortly.Contracts;

namespace Cohortly.Grains.Services;

/// <summary>
/// Per-silo copies of cohort snapshots (top items, labels). Filled by the flush loop, which gets
/// the fresh snapshot back from every delta it sends, so recommendations never call a cohort grain.
/// </summary>
public sealed class CohortSnapshotCache
{
    /// <summary>The pseudo-cohort holding activity of all users: the global baseline.</summary>
    public const int Global = 0;

    private readonly ConcurrentDictionary<int, CohortSnapshot> _snapshots = new();

    public CohortSnapshot? Get(int cohortId) => _snapshots.GetValueOrDefault(cohortId);

    public void Put(CohortSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _snapshots.AddOrUpdate(snapshot.CohortId, snapshot, (_, old) => snapshot.UpdatedAt >= old.UpdatedAt ? snapshot : old);
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
