using System.Numerics.Tensors;
using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Recommenders;

public sealed record PopularityOptions
{
    /// <summary>When set, an interaction's weight halves every half-life before the reference time (trending).</summary>
    public TimeSpan? HalfLife { get; init; }

    /// <summary>Unix seconds "now" for the decay; defaults to the latest training timestamp.</summary>
    public long? ReferenceTime { get; init; }

    /// <summary>Score users by their group's popularity (needs user groups in the training data).</summary>
    public bool ByGroup { get; init; }

    /// <summary>Pseudo-count pulling a small group's popularity toward the global one.</summary>
    public float GroupPrior { get; init; } = 20f;

    /// <summary>
    /// Count each user once per item (the usual definition of popularity: how many users chose it; with a half-life,
    /// a user's most recent interaction with the item counts). Off, every event counts, so a few users who repeat an
    /// item (a purchase log's replenishment) make it look popular. The training pipeline fits on one row per
    /// (user, item), so serving is the same either way; only event-level data sets differ.
    /// </summary>
    public bool CountDistinctUsers { get; init; } = true;
}

/// <summary>
/// Popularity: global, per group of users (a cohort is just an int label per user) with shrinkage toward global,
/// and time-decayed trending with a half-life. Scores are popularity shares (sum to one over items).
/// </summary>
public sealed class PopularityRecommender(PopularityOptions options) : IRecommender
{
    public const string KindName = "popularity";
    private const int FormatVersion = 1;

    private float[] _global = [];
    private float[] _groups = []; // group-major: groups × items
    private int[] _userGroups = [];
    private int _groupCount;

    public PopularityRecommender()
        : this(new PopularityOptions())
    {
    }

    public PopularityOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Kind => KindName;

    public int ItemCount => _global.Length;

    public int UserCount => _userGroups.Length;

    public int GroupCount => _groupCount;

    /// <summary>The group <see cref="Score"/> uses for a user: −1 (global) for users outside the fit or without a group.</summary>
    public int GroupOfUser(int user) => (uint)user < (uint)_userGroups.Length ? _userGroups[user] : -1;

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var d = data.Interactions;
        var users = d.Users;
        var items = d.Items;
        var ts = d.Timestamps;
        var weights = new float[d.Count];
        if (Options.HalfLife is { } halfLife)
        {
            var reference = Options.ReferenceTime ?? MaxOrZero(ts);
            var perSecond = Math.Log(2) / Math.Max(1, halfLife.TotalSeconds);
            for (var r = 0; r < weights.Length; r++)
            {
                // Events after the reference time count fully rather than growing without bound.
                weights[r] = (float)Math.Exp(-perSecond * Math.Max(0, reference - ts[r]));
            }
        }
        else
        {
            Array.Fill(weights, 1f);
        }

        if (Options.CountDistinctUsers)
        {
            KeepLatestPerPair(d, weights);
        }

        var global = new double[d.ItemCount];
        for (var r = 0; r < weights.Length; r++)
        {
            global[items[r]] += weights[r];
        }

        var total = Sum(global);
        _global = Normalize(global, total);
        _userGroups = new int[d.UserCount];
        Array.Fill(_userGroups, -1);
        _groupCount = 0;
        _groups = [];
        if (Options.ByGroup && data.HasUserGroups)
        {
            data.UserGroups.CopyTo(_userGroups);
            _groupCount = data.GroupCount;
            var counts = new double[_groupCount * d.ItemCount];
            var groupTotals = new double[_groupCount];
            for (var r = 0; r < weights.Length; r++)
            {
                var g = _userGroups[users[r]];
                if (g >= 0)
                {
                    counts[(g * d.ItemCount) + items[r]] += weights[r];
                    groupTotals[g] += weights[r];
                }
            }

            _groups = new float[counts.Length];
            var prior = Options.GroupPrior;
            for (var g = 0; g < _groupCount; g++)
            {
                var denominator = groupTotals[g] + prior;
                for (var i = 0; i < d.ItemCount; i++)
                {
                    var k = (g * d.ItemCount) + i;
                    _groups[k] = denominator > 0 ? (float)((counts[k] + (prior * _global[i])) / denominator) : _global[i];
                }
            }
        }
    }

    /// <summary>Zeroes every weight but the largest (the most recent, under decay) of each (user, item) pair.</summary>
    private static void KeepLatestPerPair(InteractionDataset d, float[] weights)
    {
        var (start, order) = d.RowsByUser();
        var items = d.Items;
        var stamp = new int[d.ItemCount];
        var kept = new int[d.ItemCount];
        Array.Fill(stamp, -1);
        for (var u = 0; u < d.UserCount; u++)
        {
            for (var x = start[u]; x < start[u + 1]; x++)
            {
                var r = order[x];
                var i = items[r];
                if (stamp[i] != u)
                {
                    stamp[i] = u;
                    kept[i] = r;
                }
                else if (weights[r] > weights[kept[i]])
                {
                    weights[kept[i]] = 0;
                    kept[i] = r;
                }
                else
                {
                    weights[r] = 0;
                }
            }
        }
    }

    public void Score(int user, Span<float> scores)
    {
        var g = (uint)user < (uint)_userGroups.Length ? _userGroups[user] : -1;
        ScoreGroup(g, scores);
    }

    /// <summary>Popularity within a group (global when the group is unknown or groups were not fitted).</summary>
    public void ScoreGroup(int group, Span<float> scores)
    {
        if ((uint)group < (uint)_groupCount)
        {
            _groups.AsSpan(group * ItemCount, ItemCount).CopyTo(scores);
        }
        else
        {
            _global.CopyTo(scores);
        }
    }

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores) => _global.CopyTo(scores);

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Options.HalfLife?.Ticks ?? -1);
        writer.Write(Options.ReferenceTime ?? long.MinValue);
        writer.Write(Options.ByGroup);
        writer.Write(Options.GroupPrior);
        writer.Write(_global.Length);
        writer.Write(_userGroups.Length);
        writer.Write(_groupCount);
        BinaryArrays.Write(writer, _global);
        BinaryArrays.Write(writer, _userGroups);
        BinaryArrays.Write(writer, _groups);
    }

    public static PopularityRecommender Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, KindName);
        var halfLife = reader.ReadInt64();
        var reference = reader.ReadInt64();
        var options = new PopularityOptions
        {
            HalfLife = halfLife < 0 ? null : TimeSpan.FromTicks(halfLife),
            ReferenceTime = reference == long.MinValue ? null : reference,
            ByGroup = reader.ReadBoolean(),
            GroupPrior = reader.ReadSingle(),
        };
        var items = reader.ReadInt32();
        var users = reader.ReadInt32();
        var groups = reader.ReadInt32();
        var model = new PopularityRecommender(options)
        {
            _global = BinaryArrays.ReadSingle(reader, items),
            _userGroups = BinaryArrays.ReadInt32(reader, users),
            _groupCount = groups,
        };
        model._groups = BinaryArrays.ReadSingle(reader, checked(groups * items));
        return model;
    }

    private static long MaxOrZero(ReadOnlySpan<long> values)
    {
        if (values.IsEmpty)
        {
            return 0;
        }

        var max = long.MinValue;
        foreach (var v in values)
        {
            max = Math.Max(max, v);
        }

        return max;
    }

    private static double Sum(double[] values) => TensorPrimitives.Sum<double>(values);

    private static float[] Normalize(double[] values, double total)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = total > 0 ? (float)(values[i] / total) : 0f;
        }

        return result;
    }
}
