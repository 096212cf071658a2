using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Cohortly.Modeling.Outcomes;

/// <summary>The width of an outcome time bucket. Buckets are aligned in UTC.</summary>
public enum OutcomeGranularity
{
    Minute = 0,
    Hour = 1,
    Day = 2,
}

/// <summary>Bucket alignment: a bucket starts at a whole UTC minute, hour or day.</summary>
public static class OutcomeTime
{
    public static TimeSpan Width(OutcomeGranularity granularity) => granularity switch
    {
        OutcomeGranularity.Minute => TimeSpan.FromMinutes(1),
        OutcomeGranularity.Hour => TimeSpan.FromHours(1),
        OutcomeGranularity.Day => TimeSpan.FromDays(1),
        _ => throw new ArgumentOutOfRangeException(nameof(granularity), granularity, "unknown granularity"),
    };

    /// <summary>The start of the bucket holding <paramref name="at"/>, in UTC.</summary>
    public static DateTimeOffset Start(OutcomeGranularity granularity, DateTimeOffset at)
    {
        var ticks = Width(granularity).Ticks;
        var utc = at.UtcTicks;
        return new DateTimeOffset(utc - (utc % ticks), TimeSpan.Zero);
    }

    /// <summary>How many buckets of this width start in [from aligned down, to).</summary>
    public static long BucketCount(OutcomeGranularity granularity, DateTimeOffset from, DateTimeOffset to)
    {
        var start = Start(granularity, from);
        if (to <= start)
        {
            return 0;
        }

        var width = Width(granularity).Ticks;
        return ((to.UtcTicks - start.UtcTicks) + width - 1) / width;
    }
}

/// <summary>How long each granularity's buckets are kept.</summary>
public readonly record struct OutcomeRetention(TimeSpan Minute, TimeSpan Hour, TimeSpan Day)
{
    public static OutcomeRetention Default { get; } = new(TimeSpan.FromHours(3), TimeSpan.FromDays(14), TimeSpan.FromDays(400));

    public TimeSpan For(OutcomeGranularity granularity) => granularity switch
    {
        OutcomeGranularity.Minute => Minute,
        OutcomeGranularity.Hour => Hour,
        _ => Day,
    };
}

/// <summary>One bucket of one key: the counts of <see cref="Key"/> in the bucket starting at <see cref="Start"/>.</summary>
public readonly record struct OutcomeRow(DateTimeOffset Start, OutcomeKey Key, OutcomeCounts Counts);

/// <summary>
/// Outcome counters per key in minute, hour and day buckets with bounded retention. Every delta is added to the three
/// buckets that hold its time, so an hour is exactly the sum of its minutes while both are kept and nothing has to be
/// rolled up later (a late delta lands in its own buckets). Not thread-safe: one owner (a grain) holds it.
/// </summary>
public sealed class OutcomeStore(OutcomeRetention retention)
{
    private static readonly OutcomeGranularity[] Granularities = [OutcomeGranularity.Minute, OutcomeGranularity.Hour, OutcomeGranularity.Day];
    private readonly Dictionary<BucketKey, OutcomeCounts>[] _buckets = [new(), new(), new()];

    public OutcomeRetention Retention { get; } = retention;

    /// <summary>Buckets held, all granularities.</summary>
    public int Count => _buckets[0].Count + _buckets[1].Count + _buckets[2].Count;

    public int CountOf(OutcomeGranularity granularity) => _buckets[(int)granularity].Count;

    public void Add(in OutcomeKey key, in OutcomeCounts delta, DateTimeOffset at)
    {
        if (delta.IsEmpty)
        {
            return;
        }

        foreach (var g in Granularities)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_buckets[(int)g], new BucketKey(OutcomeTime.Start(g, at).UtcTicks, key), out _);
            slot = slot.Plus(delta);
        }
    }

    /// <summary>Drops buckets that ended more than their granularity's retention before <paramref name="now"/>; returns how many.</summary>
    public int Prune(DateTimeOffset now)
    {
        var removed = 0;
        foreach (var g in Granularities)
        {
            // A bucket is kept while any part of it is within the retention window.
            var oldestStart = now.UtcTicks - Retention.For(g).Ticks - OutcomeTime.Width(g).Ticks;
            var buckets = _buckets[(int)g];
            foreach (var key in buckets.Keys)
            {
                if (key.StartTicks <= oldestStart)
                {
                    buckets.Remove(key);
                    removed++;
                }
            }
        }

        return removed;
    }

    /// <summary>The buckets of one granularity that start in [<paramref name="from"/> aligned down, <paramref name="to"/>), oldest first.</summary>
    public List<OutcomeRow> Rows(OutcomeGranularity granularity, DateTimeOffset from, DateTimeOffset to)
    {
        var first = OutcomeTime.Start(granularity, from).UtcTicks;
        var end = to.UtcTicks;
        var rows = new List<OutcomeRow>();
        foreach (var (key, counts) in _buckets[(int)granularity])
        {
            if (key.StartTicks >= first && key.StartTicks < end)
            {
                rows.Add(new OutcomeRow(new DateTimeOffset(key.StartTicks, TimeSpan.Zero), key.Key, counts));
            }
        }

        rows.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        return rows;
    }

    /// <summary>A compact copy for storage: each key once, each bucket as its granularity, start, key index and nine numbers (21 with decision sums).</summary>
    public OutcomeStoreState ToState()
    {
        var keys = new Dictionary<OutcomeKey, int>();
        var state = new OutcomeStoreState();
        foreach (var g in Granularities)
        {
            foreach (var (key, c) in _buckets[(int)g])
            {
                if (!keys.TryGetValue(key.Key, out var index))
                {
                    index = keys.Count;
                    keys[key.Key] = index;
                    state.Keys.Add(key.Key);
                }

                state.Buckets.Add(new StoredOutcomeBucket(
                    (int)g,
                    (key.StartTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMinute,
                    index,
                    Stored(c)));
            }
        }

        return state;
    }

    /// <summary>The nine counts, then the twelve decision sums only when there are any (most keys never log a decision).</summary>
    private static double[] Stored(in OutcomeCounts c)
    {
        if (c.Decisions.IsEmpty)
        {
            return [c.Exposures, c.Impressions, c.Clicks, c.AddToCarts, c.Purchases, c.Revenue, c.ClickedExposures, c.ConvertedExposures, c.RevenueSquares];
        }

        var d = c.Decisions;
        return
        [
            c.Exposures, c.Impressions, c.Clicks, c.AddToCarts, c.Purchases, c.Revenue, c.ClickedExposures, c.ConvertedExposures, c.RevenueSquares,
            d.Decisions, d.Rewards, d.Greedy, d.Uniform, d.GreedySquared, d.GreedyUniform, d.UniformSquared,
            d.RewardGreedy, d.RewardUniform, d.RewardGreedySquared, d.RewardGreedyUniform, d.RewardUniformSquared,
        ];
    }

    public static OutcomeStore FromState(OutcomeStoreState? state, OutcomeRetention retention)
    {
        var store = new OutcomeStore(retention);
        if (state is null)
        {
            return store;
        }

        foreach (var b in state.Buckets)
        {
            if (b.Granularity is < 0 or > 2 || b.KeyIndex < 0 || b.KeyIndex >= state.Keys.Count || b.Counts is not { Length: 9 or 21 } n)
            {
                continue;
            }

            var decisions = n.Length == 21
                ? new Experiments.SlotDecisionSums((long)n[9], (long)n[10], n[11], n[12], n[13], n[14], n[15], n[16], n[17], n[18], n[19], n[20])
                : default;
            var counts = new OutcomeCounts((long)n[0], (long)n[1], (long)n[2], (long)n[3], (long)n[4], n[5], (long)n[6], (long)n[7], n[8], decisions);
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(store._buckets[b.Granularity], new BucketKey(DateTimeOffset.UnixEpoch.UtcTicks + (b.StartMinute * TimeSpan.TicksPerMinute), state.Keys[b.KeyIndex]), out _);
            slot = slot.Plus(counts);
        }

        return store;
    }

    private readonly record struct BucketKey(long StartTicks, OutcomeKey Key);
}

/// <summary>Stored form of an <see cref="OutcomeStore"/> (System.Text.Json grain storage).</summary>
public sealed class OutcomeStoreState
{
    [JsonPropertyName("keys")]
    public List<OutcomeKey> Keys { get; set; } = [];

    [JsonPropertyName("buckets")]
    public List<StoredOutcomeBucket> Buckets { get; set; } = [];
}

/// <summary>
/// One stored bucket: granularity (0 minute, 1 hour, 2 day), start in Unix minutes, index into the key table and the
/// counts in <see cref="OutcomeCounts"/> member order (nine, or twenty-one when the bucket has logged slot decisions:
/// then the twelve <see cref="Experiments.SlotDecisionSums"/> follow). Short names: a cohort keeps thousands of these.
/// </summary>
public sealed record StoredOutcomeBucket(
    [property: JsonPropertyName("g")] int Granularity,
    [property: JsonPropertyName("t")] long StartMinute,
    [property: JsonPropertyName("k")] int KeyIndex,
    [property: JsonPropertyName("c")] double[] Counts);
