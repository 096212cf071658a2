using Cohortly.Contracts;

using Cohortly.Modeling.Users;

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
    private readonly Dictionary<string, FeatureEntry> _features = new(StringComparer.Ordinal);
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
    public void RecordImpressions(int? cohortId, in ServedRecommendation served)
    {
        lock (_deltaLock)
        {
            var impressions = PendingFor(cohortId ?? CohortSnapshotCache.Global).Impressions;
            for (var i = 0; i < served.Count; i++)
            {
                var item = served.ItemAt(i);
                impressions[item] = impressions.GetValueOrDefault(item) + 1;
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

    /// <summary>
    /// Remembers the user's latest features and the time of the latest event they follow (the drift monitor selects
    /// active users by it); the oldest registered user is dropped when full.
    /// </summary>
    public void RecordFeatures(string userId, ReadOnlySpan<float> features, long lastSeenMs)
    {
        lock (_featureLock)
        {
            if (_features.TryGetValue(userId, out var entry))
            {
                features.CopyTo(entry.Row);
                entry.LastSeenMs = lastSeenMs;
                return;
            }

            while (_features.Count >= _capacity && _featureOrder.TryDequeue(out var oldest))
            {
                _features.Remove(oldest);
            }

            _features[userId] = new FeatureEntry(features.ToArray()) { LastSeenMs = lastSeenMs };
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
    /// <remarks>
    /// The buffers stay and are cleared; what is sent is a copy. A buffer replaced at every flush lived about a second,
    /// long enough to be caught by a young-generation collection and copied into an older one (at 3,000
    /// recommendations a second, thousands of item counts per cohort); a kept buffer is old and its entries' keys are
    /// item ids the catalog and the model hold, so filling it again leaves nothing behind, and the copy lives only for
    /// the flush's call. A cohort with nothing buffered since the last flush loses its buffer, so buffers of cohorts
    /// from older segmentations do not accumulate.
    /// </remarks>
    public Dictionary<int, CohortDelta> TakeDeltas()
    {
        var now = time.GetUtcNow();
        lock (_deltaLock)
        {
            if (_pending.Count == 0)
            {
                return [];
            }

            var result = new Dictionary<int, CohortDelta>(_pending.Count);
            List<int>? idle = null;
            foreach (var (cohort, p) in _pending)
            {
                if (p.IsEmpty)
                {
                    (idle ??= []).Add(cohort);
                    continue;
                }

                result[cohort] = new CohortDelta(p.Joined, p.Left, Copy(p.Items), now) { Impressions = Copy(p.Impressions), Rewards = Copy(p.Rewards) };
                p.Clear();
            }

            if (idle is not null)
            {
                foreach (var cohort in idle)
                {
                    _pending.Remove(cohort);
                }
            }

            return result;
        }
    }

    private static Dictionary<string, T> Copy<T>(Dictionary<string, T> source) => new(source, StringComparer.Ordinal);

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
            var lastSeen = new List<long>(_features.Count);
            foreach (var (id, entry) in _features)
            {
                ids.Add(id);
                rows.Add((float[])entry.Row.Clone());
                lastSeen.Add(entry.LastSeenMs);
            }

            return new FeatureSample(siloId, ids, rows, time.GetUtcNow()) { LastSeenMs = lastSeen };
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

    private sealed class FeatureEntry(float[] row)
    {
        public float[] Row { get; } = row;

        public long LastSeenMs { get; set; }
    }

    private sealed class Pending
    {
        public long Joined { get; set; }

        public long Left { get; set; }

        public Dictionary<string, double> Items { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> Impressions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, double> Rewards { get; } = new(StringComparer.Ordinal);

        public bool IsEmpty => Joined == 0 && Left == 0 && Items.Count == 0 && Impressions.Count == 0 && Rewards.Count == 0;

        public void Clear()
        {
            Joined = 0;
            Left = 0;
            Items.Clear();
            Impressions.Clear();
            Rewards.Clear();
        }
    }
}
