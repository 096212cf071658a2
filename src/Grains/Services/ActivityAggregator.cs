using Cohortly.Contracts;

namespace Cohortly.Grains.Services;

/// <summary>
/// Per-silo buffer of what user grains observed: item weights per cohort, cohort joins and leaves,
/// and a bounded registry of active users' feature vectors. The flush loop drains it about once a
/// second, so cohort grains receive one call per silo per second instead of one per event.
/// </summary>
public sealed class ActivityAggregator(TimeProvider time)
{
    private readonly Lock _deltaLock = new();
    private readonly Lock _featureLock = new();
    private Dictionary<int, Pending> _pending = [];
    private readonly Dictionary<string, float[]> _features = new(StringComparer.Ordinal);
    private readonly Queue<string> _featureOrder = new();
    private int _capacity = 5000;

    public int FeatureCapacity
    {
        get => _capacity;
        set => _capacity = Math.Max(1, value);
    }

    public int RegisteredUsers
    {
        get
        {
            lock (_featureLock)
            {
                return _features.Count;
            }
        }
    }

    public void RecordInteraction(int? cohortId, string itemId, double weight)
    {
        if (weight == 0)
        {
            return;
        }

        lock (_deltaLock)
        {
            Add(CohortSnapshotCache.Global, itemId, weight);
            if (cohortId is { } id)
            {
                Add(id, itemId, weight);
            }
        }
    }

    /// <summary>Adds weight to one cohort only (the global baseline already counted it when it happened).</summary>
    public void RecordCohortItem(int cohortId, string itemId, double weight)
    {
        if (weight == 0)
        {
            return;
        }

        lock (_deltaLock)
        {
            Add(cohortId, itemId, weight);
        }
    }

    /// <summary>Counts one impression per item served to a member of the cohort (null: users without a cohort).</summary>
    public void RecordImpressions(int? cohortId, ReadOnlySpan<string?> itemIds)
    {
        lock (_deltaLock)
        {
            var impressions = PendingFor(cohortId ?? CohortSnapshotCache.Global).Impressions;
            foreach (var item in itemIds)
            {
                if (item is not null)
                {
                    impressions[item] = impressions.GetValueOrDefault(item) + 1;
                }
            }
        }
    }

    /// <summary>A member acted on an item the cohort's recommendations showed them (the bandit's reward).</summary>
    public void RecordReward(int? cohortId, string itemId, double reward)
    {
        lock (_deltaLock)
        {
            var rewards = PendingFor(cohortId ?? CohortSnapshotCache.Global).Rewards;
            rewards[itemId] = rewards.GetValueOrDefault(itemId) + reward;
        }
    }

    public void RecordTransition(int? from, int to)
    {
        lock (_deltaLock)
        {
            if (from is { } f)
            {
                PendingFor(f).Left++;
            }

            PendingFor(to).Joined++;
        }
    }

    /// <summary>Remembers the user's latest features; the oldest registered user is dropped when full.</summary>
    public void RecordFeatures(string userId, ReadOnlySpan<float> features)
    {
        lock (_featureLock)
        {
            if (_features.TryGetValue(userId, out var row))
            {
                features.CopyTo(row);
                return;
            }

            while (_features.Count >= _capacity && _featureOrder.TryDequeue(out var oldest))
            {
                _features.Remove(oldest);
            }

            _features[userId] = features.ToArray();
            _featureOrder.Enqueue(userId);
        }
    }

    public void ForgetFeatures(string userId)
    {
        lock (_featureLock)
        {
            // The queue entry goes stale and is skipped when dequeued.
            _features.Remove(userId);
        }
    }

    /// <summary>Takes everything buffered since the last call.</summary>
    public Dictionary<int, CohortDelta> TakeDeltas()
    {
        Dictionary<int, Pending> taken;
        lock (_deltaLock)
        {
            if (_pending.Count == 0)
            {
                return [];
            }

            taken = _pending;
            _pending = [];
        }

        var now = time.GetUtcNow();
        var result = new Dictionary<int, CohortDelta>(taken.Count);
        foreach (var (cohort, p) in taken)
        {
            result[cohort] = new CohortDelta(p.Joined, p.Left, p.Items, now) { Impressions = p.Impressions, Rewards = p.Rewards };
        }

        return result;
    }

    /// <summary>Puts deltas back after a failed flush so nothing observed is lost.</summary>
    public void Restore(int cohortId, CohortDelta delta)
    {
        lock (_deltaLock)
        {
            var p = PendingFor(cohortId);
            p.Joined += delta.MembersJoined;
            p.Left += delta.MembersLeft;
            foreach (var (item, w) in delta.ItemWeights)
            {
                p.Items[item] = p.Items.GetValueOrDefault(item) + w;
            }

            foreach (var (item, n) in delta.Impressions)
            {
                p.Impressions[item] = p.Impressions.GetValueOrDefault(item) + n;
            }

            foreach (var (item, r) in delta.Rewards)
            {
                p.Rewards[item] = p.Rewards.GetValueOrDefault(item) + r;
            }
        }
    }

    public FeatureSample Sample(string siloId)
    {
        lock (_featureLock)
        {
            var ids = new List<string>(_features.Count);
            var rows = new List<float[]>(_features.Count);
            foreach (var (id, row) in _features)
            {
                ids.Add(id);
                rows.Add((float[])row.Clone());
            }

            return new FeatureSample(siloId, ids, rows, time.GetUtcNow());
        }
    }

    private void Add(int cohortId, string itemId, double weight)
    {
        var items = PendingFor(cohortId).Items;
        items[itemId] = items.GetValueOrDefault(itemId) + weight;
    }

    private Pending PendingFor(int cohortId)
    {
        if (!_pending.TryGetValue(cohortId, out var p))
        {
            p = new Pending();
            _pending[cohortId] = p;
        }

        return p;
    }

    private sealed class Pending
    {
        public long Joined { get; set; }

        public long Left { get; set; }

        public Dictionary<string, double> Items { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> Impressions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, double> Rewards { get; } = new(StringComparer.Ordinal);
    }
}
