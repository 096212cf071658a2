using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Trending;

namespace Cohortly.Grains.Cohorts;

public sealed class CohortState
{
    public string? Label { get; set; }

    public long SegmentationVersion { get; set; }

    public List<FeatureValue> Centroid { get; set; } = [];

    public long MemberCount { get; set; }

    public DecayedTopItems TopItems { get; set; } = new();

    public DateTimeOffset UpdatedAt { get; set; }

    public long ModelVersion { get; set; }

    public bool UsesAdaptedModel { get; set; }
}

/// <summary>
/// One cohort: label and centroid from the segmentation, an approximate member count kept from
/// transitions, and decayed top items. Receives pre-aggregated deltas from silos, never per event.
/// </summary>
public sealed class CohortGrain(
    [PersistentState("cohort", StreamNames.Storage)] IPersistentState<CohortState> state,
    TimeProvider time) : Grain, ICohortGrain
{
    private const int SnapshotItems = 100;
    private static readonly TimeSpan WriteBehind = TimeSpan.FromSeconds(10);
    private bool _dirty;
    private CohortSnapshot? _snapshot;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(static (g, ct) => g.Persist(ct), this, new GrainTimerCreationOptions(WriteBehind, WriteBehind));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Persist(cancellationToken);

    public Task<CohortSnapshot> GetSnapshot() => Task.FromResult(_snapshot ??= BuildSnapshot());

    public Task<CohortSnapshot> ApplyDelta(CohortDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var s = state.State;
        s.MemberCount = Math.Max(0, s.MemberCount + delta.MembersJoined - delta.MembersLeft);
        var asOf = delta.AsOf.ToUnixTimeMilliseconds();
        foreach (var (item, weight) in delta.ItemWeights)
        {
            s.TopItems.Add(item, weight, asOf);
        }

        s.UpdatedAt = time.GetUtcNow();
        _dirty = true;
        _snapshot = BuildSnapshot();
        return Task.FromResult(_snapshot);
    }

    public async Task Define(string label, IReadOnlyList<FeatureValue> centroid, long segmentationVersion)
    {
        var s = state.State;
        if (segmentationVersion < s.SegmentationVersion)
        {
            return;
        }

        s.Label = label;
        s.Centroid = [.. centroid];
        s.SegmentationVersion = segmentationVersion;
        s.UpdatedAt = time.GetUtcNow();
        _snapshot = BuildSnapshot();
        _dirty = false;
        await state.WriteStateAsync();
    }

    public async Task SetModel(long modelVersion, bool adapted)
    {
        var s = state.State;
        s.ModelVersion = modelVersion;
        s.UsesAdaptedModel = adapted;
        _snapshot = BuildSnapshot();
        _dirty = false;
        await state.WriteStateAsync();
    }

    private CohortSnapshot BuildSnapshot()
    {
        var s = state.State;
        var id = (int)this.GetPrimaryKeyLong();
        var top = s.TopItems.Top(SnapshotItems, time.GetUtcNow().ToUnixTimeMilliseconds());
        var items = new ItemScore[top.Length];
        for (var i = 0; i < top.Length; i++)
        {
            items[i] = new ItemScore(top[i].ItemId, top[i].Score);
        }

        var label = s.Label ?? (id == CohortSnapshotCache.Global ? "all users" : $"cohort {id}");
        return new CohortSnapshot(id, label, s.SegmentationVersion, s.MemberCount, s.Centroid, items, s.UpdatedAt, s.ModelVersion, s.UsesAdaptedModel);
    }

    private async Task Persist(CancellationToken cancellationToken)
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            _dirty = true;
            throw;
        }
    }
}
