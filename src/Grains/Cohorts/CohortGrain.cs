using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;
using Cohortly.Modeling.Trending;

namespace Cohortly.Grains.Cohorts;

public sealed class CohortState
{
    public string? Label { get; set; }

    public long SegmentationVersion { get; set; }

    public List<FeatureValue> Centroid { get; set; } = [];

    public long MemberCount { get; set; }

    public DecayedTopItems TopItems { get; set; } = new();

    /// <summary>Bandit evidence of items recommended to members (the cohort's exploration policy reads it).</summary>
    public BanditArmsState Arms { get; set; } = new([]);

    public DateTimeOffset UpdatedAt { get; set; }

    public long ModelVersion { get; set; }

    public bool UsesAdaptedModel { get; set; }

    /// <summary>The serving policy the active model version's training proposed (null: it proposed none).</summary>
    public ServingPolicy? TrainedPolicy { get; set; }

    /// <summary>An operator's policy; kept across model versions until cleared.</summary>
    public ServingPolicy? OverridePolicy { get; set; }

    public DateTimeOffset? OverrideSince { get; set; }

    /// <summary>When the policy in effect last changed.</summary>
    public DateTimeOffset? PolicySince { get; set; }

    /// <summary>Since when the cohort is served by the global weights after a drift detection (null: not held); the next adopted model version clears it.</summary>
    public DateTimeOffset? GlobalHoldSince { get; set; }

    /// <summary>Why it is held on the global weights.</summary>
    public string? GlobalHoldReason { get; set; }
}

/// <summary>
/// One cohort: label and centroid from the segmentation, an approximate member count kept from
/// transitions, and decayed top items. Receives pre-aggregated deltas from silos, never per event.
/// It owns how its cohort is served: the model version and whether its adapted weights serve, and the serving
/// policy in effect (training's proposal, adopted with each activated version, or an operator's override that
/// outlives trainings until cleared), published with its snapshot to every silo's cache.
/// </summary>
public sealed class CohortGrain(
    [PersistentState("cohort", StreamNames.Storage)] IPersistentState<CohortState> state,
    CohortlyBackend backend,
    TimeProvider time) : Grain, ICohortGrain
{
    private const int SnapshotItems = 100;

    /// <summary>Arms kept (most shown first) and arms published to silo caches with each snapshot.</summary>
    private const int MaxArms = 2000;
    private const int SnapshotArms = 500;
    private static readonly TimeSpan WriteBehind = TimeSpan.FromSeconds(10);
    private bool _dirty;
    private CohortSnapshot? _snapshot;
    private BanditArms? _arms;

    private BanditArms Arms => _arms ??= new BanditArms(state.State.Arms);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(static (g, ct) => g.Persist(ct), this, new GrainTimerCreationOptions(WriteBehind, WriteBehind));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        backend.SavesOnDeactivation(reason) ? Persist(cancellationToken) : Task.CompletedTask;

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

        ApplyArms(delta);

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
        await WriteState();
    }

    private void ApplyArms(CohortDelta delta)
    {
        if (delta.Impressions.Count == 0 && delta.Rewards.Count == 0)
        {
            return;
        }

        var deltas = new List<RewardDelta>(delta.Impressions.Count + delta.Rewards.Count);
        foreach (var (item, n) in delta.Impressions)
        {
            deltas.Add(new RewardDelta(item, n, delta.Rewards.GetValueOrDefault(item)));
        }

        foreach (var (item, r) in delta.Rewards)
        {
            if (!delta.Impressions.ContainsKey(item))
            {
                deltas.Add(new RewardDelta(item, 0, r));
            }
        }

        var arms = Arms;
        arms.Apply(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(deltas), time.GetUtcNow());
        if (arms.Count > MaxArms + (MaxArms / 4))
        {
            // Rarely shown arms go first; a dropped arm that comes back starts over as unseen.
            arms.KeepMostShown(MaxArms);
        }

        // The live book is the truth; the persisted copy is made only when the state is written. Copying every
        // arm on every delta (about once a second per cohort) made thousands of records per second that lived
        // until the next delta: just long enough to be promoted, which made young-generation GCs longer.
    }

    /// <summary>Writes the state, with the live bandit book copied into it first.</summary>
    private Task WriteState(CancellationToken cancellationToken = default)
    {
        if (_arms is { } arms)
        {
            state.State.Arms = arms.ToState();
        }

        return state.WriteStateAsync(cancellationToken);
    }

    public async Task AdoptModel(long modelVersion, bool adapted, ServingPolicy? proposedPolicy)
    {
        var s = state.State;
        s.ModelVersion = modelVersion;
        s.UsesAdaptedModel = adapted;
        // A newly activated version passed the promotion gate (or was activated by hand): it ends a drift hold.
        s.GlobalHoldSince = null;
        s.GlobalHoldReason = null;
        await ChangePolicy(() => s.TrainedPolicy = proposedPolicy);
    }

    public async Task<CohortSnapshot> ServeGlobalUntilNextVersion(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var s = state.State;
        s.GlobalHoldSince ??= time.GetUtcNow();
        s.GlobalHoldReason = reason;
        // Published like a policy change: the snapshot's UpdatedAt moves, so every silo cache takes it at its next poll.
        await ChangePolicy(static () => { });
        return _snapshot!;
    }

    public Task<CohortPolicy> GetPolicy() => Task.FromResult(PolicyView());

    public async Task<CohortPolicy> OverridePolicy(ServingPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Validate() is { Count: > 0 } errors)
        {
            throw new InvalidPolicyException(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")));
        }

        var s = state.State;
        await ChangePolicy(() =>
        {
            s.OverridePolicy = policy;
            s.OverrideSince = time.GetUtcNow();
        });
        return PolicyView();
    }

    public async Task<CohortPolicy> ClearPolicyOverride()
    {
        var s = state.State;
        if (s.OverridePolicy is not null)
        {
            await ChangePolicy(() =>
            {
                s.OverridePolicy = null;
                s.OverrideSince = null;
            });
        }

        return PolicyView();
    }

    /// <summary>
    /// Applies a change, dates the policy in effect if it changed, and publishes: the snapshot's UpdatedAt moves so
    /// every silo cache takes the new snapshot at its next poll, even when the cohort receives no deltas.
    /// </summary>
    private async Task ChangePolicy(Action change)
    {
        var s = state.State;
        var before = Effective(s);
        change();
        var now = time.GetUtcNow();
        if (Effective(s) != before)
        {
            s.PolicySince = now;
        }

        s.UpdatedAt = now;
        _snapshot = BuildSnapshot();
        _dirty = false;
        await WriteState();
    }

    private static (ServingPolicy? Policy, PolicySource Source) Effective(CohortState s) =>
        s.OverridePolicy is { } o ? (o, PolicySource.Override)
        : s.TrainedPolicy is { } t ? (t, PolicySource.Trained)
        : (null, PolicySource.ModelDefault);

    private CohortPolicy PolicyView()
    {
        var s = state.State;
        var (policy, source) = Effective(s);
        return new CohortPolicy
        {
            CohortId = (int)this.GetPrimaryKeyLong(),
            Effective = policy,
            Source = source,
            Since = s.PolicySince,
            Trained = s.TrainedPolicy,
            TrainedModelVersion = s.TrainedPolicy is null ? 0 : s.ModelVersion,
            Override = s.OverridePolicy,
            OverrideSince = s.OverrideSince,
        };
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
        // The most shown arms, straight from the live book (most shown first).
        var buffer = System.Buffers.ArrayPool<ArmRecordValue>.Shared.Rent(SnapshotArms);
        ArmStats[] published;
        try
        {
            var count = Arms.MostShown(buffer.AsSpan(0, SnapshotArms));
            published = new ArmStats[count];
            for (var i = 0; i < count; i++)
            {
                var arm = buffer[i];
                published[i] = new ArmStats(arm.ArmId, arm.Impressions, arm.Rewards, arm.FirstSeen);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<ArmRecordValue>.Shared.Return(buffer, clearArray: true);
        }

        var (policy, source) = Effective(s);
        return new CohortSnapshot(id, label, s.SegmentationVersion, s.MemberCount, s.Centroid, items, s.UpdatedAt, s.ModelVersion, s.UsesAdaptedModel)
        {
            Arms = published,
            Policy = policy,
            PolicySource = source,
            GlobalHoldSince = s.GlobalHoldSince,
        };
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
            await WriteState(cancellationToken);
        }
        catch
        {
            _dirty = true;
            throw;
        }
    }
}
