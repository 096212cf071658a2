using System.Buffers;
using System.Runtime.InteropServices;
using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Exploration;

/// <summary>A pre-aggregated change to one arm's evidence (e.g. one second of a silo's traffic).</summary>
public readonly record struct RewardDelta(string ArmId, long Impressions, double Rewards);

/// <summary>Evidence for one arm, as persisted.</summary>
public sealed record ArmRecord(string ArmId, long Impressions, double Rewards, DateTimeOffset FirstSeen);

/// <summary>An arm's evidence as a value (what <see cref="BanditArms.MostShown"/> writes).</summary>
public readonly record struct ArmRecordValue(string ArmId, long Impressions, double Rewards, DateTimeOffset FirstSeen);

/// <summary>Serializable snapshot of <see cref="BanditArms"/> (arms sorted by id, so equal books serialize equally).</summary>
public sealed record BanditArmsState(ArmRecord[] Arms);

/// <summary>
/// Per-arm bandit evidence of one cohort: impressions, rewards and first-seen time. A cohort grain
/// owns one, applies reward deltas to it, builds <see cref="ArmCandidate"/>s from it and persists
/// <see cref="ToState"/>. Counts are sufficient statistics for every policy here (UCB1 needs
/// counts, Thompson's Beta posterior is prior + counts), so one book serves all of them.
/// </summary>
public sealed class BanditArms
{
    private readonly Dictionary<string, Entry> _arms = new(StringComparer.Ordinal);

    public BanditArms()
    {
    }

    public BanditArms(BanditArmsState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var arm in state.Arms)
        {
            ValidateEvidence(arm.ArmId, arm.Impressions, arm.Rewards);
            _arms[arm.ArmId] = new Entry(arm.Impressions, arm.Rewards, arm.FirstSeen);
        }
    }

    public int Count => _arms.Count;

    /// <summary>Registers an arm; an arm already known keeps the earlier first-seen time.</summary>
    public void Observe(string armId, DateTimeOffset firstSeen)
    {
        ArgumentException.ThrowIfNullOrEmpty(armId);
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_arms, armId, out var exists);
        if (!exists || firstSeen < entry.FirstSeen)
        {
            entry.FirstSeen = firstSeen;
        }
    }

    /// <summary>Adds aggregated deltas. Arms not yet known are registered as first seen at <paramref name="now"/>.</summary>
    public void Apply(ReadOnlySpan<RewardDelta> deltas, DateTimeOffset now)
    {
        // Validate everything first so a bad batch changes nothing.
        foreach (var d in deltas)
        {
            ArgumentException.ThrowIfNullOrEmpty(d.ArmId, nameof(deltas));
            ValidateEvidence(d.ArmId, d.Impressions, d.Rewards);
        }

        foreach (var d in deltas)
        {
            ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_arms, d.ArmId, out var exists);
            if (!exists)
            {
                entry.FirstSeen = now;
            }

            entry.Impressions += d.Impressions;
            entry.Rewards += d.Rewards;
        }
    }

    public bool TryGet(string armId, out ArmRecord arm)
    {
        if (_arms.TryGetValue(armId, out var e))
        {
            arm = new ArmRecord(armId, e.Impressions, e.Rewards, e.FirstSeen);
            return true;
        }

        arm = null!;
        return false;
    }

    /// <summary>
    /// The candidate for <paramref name="armId"/> with its evidence. An unknown arm has no evidence
    /// and is dated <paramref name="firstSeenIfUnknown"/> (pass the item's catalog time when known,
    /// so an old item never shown is not mistaken for a new one).
    /// </summary>
    public ArmCandidate Candidate(string armId, double score, DateTimeOffset firstSeenIfUnknown) =>
        _arms.TryGetValue(armId, out var e)
            ? new ArmCandidate(armId, score, e.Impressions, e.Rewards, e.FirstSeen)
            : new ArmCandidate(armId, score, 0, 0, firstSeenIfUnknown);

    /// <summary>Candidates for parallel id/score lists (the common call before <see cref="IExplorationPolicy.Rerank"/>).</summary>
    public ArmCandidate[] Candidates(IReadOnlyList<string> armIds, ReadOnlySpan<double> scores, DateTimeOffset firstSeenIfUnknown)
    {
        ArgumentNullException.ThrowIfNull(armIds);
        if (armIds.Count != scores.Length)
        {
            throw new ArgumentException($"Got {armIds.Count} ids and {scores.Length} scores.", nameof(scores));
        }

        var result = new ArmCandidate[armIds.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Candidate(armIds[i], scores[i], firstSeenIfUnknown);
        }

        return result;
    }

    /// <summary>Beta posterior of an arm under the given prior (the prior itself for an unknown arm).</summary>
    public BetaPosterior Posterior(string armId, double priorAlpha = 1, double priorBeta = 1)
    {
        _arms.TryGetValue(armId, out var e);
        return new BetaPosterior(priorAlpha + e.Rewards, priorBeta + Math.Max(0, e.Impressions - e.Rewards));
    }

    public bool Remove(string armId) => _arms.Remove(armId);

    /// <summary>
    /// Writes the most shown arms (impressions descending, ties by id) into <paramref name="destination"/> and
    /// returns how many were written. No per-arm objects are made (the sort runs in a pooled buffer), so a cohort
    /// can publish its top arms often without copying its whole book.
    /// </summary>
    public int MostShown(Span<ArmRecordValue> destination)
    {
        var n = _arms.Count;
        if (destination.IsEmpty || n == 0)
        {
            return 0;
        }

        var buffer = ArrayPool<ArmRecordValue>.Shared.Rent(n);
        try
        {
            var i = 0;
            foreach (var (id, e) in _arms)
            {
                buffer[i++] = new ArmRecordValue(id, e.Impressions, e.Rewards, e.FirstSeen);
            }

            var all = buffer.AsSpan(0, n);
            all.Sort(static (a, b) => a.Impressions != b.Impressions ? b.Impressions.CompareTo(a.Impressions) : string.CompareOrdinal(a.ArmId, b.ArmId));
            var count = Math.Min(n, destination.Length);
            all[..count].CopyTo(destination);
            return count;
        }
        finally
        {
            ArrayPool<ArmRecordValue>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>
    /// Keeps the <paramref name="count"/> most shown arms (the order of <see cref="MostShown"/>) and forgets the rest;
    /// returns how many were forgotten. A forgotten arm that comes back starts over as unseen.
    /// </summary>
    public int KeepMostShown(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var n = _arms.Count;
        if (n <= count)
        {
            return 0;
        }

        var buffer = ArrayPool<ArmRecordValue>.Shared.Rent(n);
        try
        {
            MostShown(buffer.AsSpan(0, n));
            for (var i = count; i < n; i++)
            {
                _arms.Remove(buffer[i].ArmId);
            }

            return n - count;
        }
        finally
        {
            ArrayPool<ArmRecordValue>.Shared.Return(buffer, clearArray: true);
        }
    }

    public BanditArmsState ToState()
    {
        var ids = new string[_arms.Count];
        _arms.Keys.CopyTo(ids, 0);
        Array.Sort(ids, StringComparer.Ordinal);
        var arms = new ArmRecord[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            var e = _arms[ids[i]];
            arms[i] = new ArmRecord(ids[i], e.Impressions, e.Rewards, e.FirstSeen);
        }

        return new BanditArmsState(arms);
    }

    private static void ValidateEvidence(string armId, long impressions, double rewards)
    {
        if (impressions < 0 || !(rewards >= 0) || double.IsInfinity(rewards))
        {
            throw new ArgumentException($"Arm {armId}: impressions and rewards must be finite and non-negative.");
        }
    }

    private struct Entry(long impressions, double rewards, DateTimeOffset firstSeen)
    {
        public long Impressions = impressions;
        public double Rewards = rewards;
        public DateTimeOffset FirstSeen = firstSeen;
    }
}
