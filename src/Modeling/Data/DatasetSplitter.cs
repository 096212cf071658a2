namespace Cohortly.Modeling.Data;

/// <summary>Train / validation / test split ratios; normalized to sum to one.</summary>
public sealed record SplitRatios(double Train, double Validation, double Test)
{
    public static SplitRatios Default { get; } = new(0.8, 0.1, 0.1);
}

/// <summary>
/// Seeded splitters. Per-user splits give every user the same proportions (RecBole's "RO"/"TO" ordering with
/// ratio split grouped by user); the global temporal split cuts the whole timeline at two instants.
/// </summary>
public static class DatasetSplitter
{
    /// <summary>Shuffles each user's interactions with <paramref name="random"/> and cuts them by ratio.</summary>
    public static DatasetSplit RandomPerUser(InteractionDataset data, SplitRatios ratios, Random random)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        return PerUser(data, ratios, (rows, _) => random.Shuffle(rows));
    }

    /// <summary>Orders each user's interactions by time (ties by file order) and cuts them by ratio.</summary>
    public static DatasetSplit TemporalPerUser(InteractionDataset data, SplitRatios ratios)
    {
        ArgumentNullException.ThrowIfNull(data);
        var ts = data.Timestamps.ToArray();
        return PerUser(data, ratios, (rows, _) => rows.Sort((a, b) =>
        {
            var c = ts[a].CompareTo(ts[b]);
            return c != 0 ? c : a.CompareTo(b);
        }));
    }

    /// <summary>Orders all interactions by time and cuts the timeline by ratio.</summary>
    public static DatasetSplit GlobalTemporal(InteractionDataset data, SplitRatios ratios)
    {
        ArgumentNullException.ThrowIfNull(data);
        var ts = data.Timestamps.ToArray();
        var rows = new int[data.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = i;
        }

        Array.Sort(rows, (a, b) =>
        {
            var c = ts[a].CompareTo(ts[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var (train, valid, _) = Counts(rows.Length, ratios);
        var span = rows.AsSpan();
        return new DatasetSplit(
            data.Select(span[..train]),
            data.Select(span.Slice(train, valid)),
            data.Select(span[(train + valid)..]));
    }

    /// <summary>
    /// How many of <paramref name="total"/> go to each part: validation and test get the floor of their share, train
    /// the rest; a part whose share is between zero and one still gets one while train keeps more than one.
    /// </summary>
    public static (int Train, int Validation, int Test) Counts(int total, SplitRatios ratios)
    {
        ArgumentNullException.ThrowIfNull(ratios);
        var sum = ratios.Train + ratios.Validation + ratios.Test;
        if (!(sum > 0) || ratios.Train < 0 || ratios.Validation < 0 || ratios.Test < 0)
        {
            throw new ArgumentException("split ratios must be non-negative and not all zero", nameof(ratios));
        }

        var rv = ratios.Validation / sum;
        var rt = ratios.Test / sum;
        var valid = (int)(rv * total);
        var test = (int)(rt * total);
        var train = total - valid - test;
        if (train > 1 && rt * total is > 0 and < 1)
        {
            test++;
            train--;
        }

        if (train > 1 && rv * total is > 0 and < 1)
        {
            valid++;
            train--;
        }

        return (train, valid, test);
    }

    private static DatasetSplit PerUser(InteractionDataset data, SplitRatios ratios, Action<Span<int>, int> order)
    {
        var (start, rowsByUser) = data.RowsByUser();
        var train = new List<int>(data.Count);
        var valid = new List<int>();
        var test = new List<int>();
        for (var u = 0; u < data.UserCount; u++)
        {
            var rows = rowsByUser.AsSpan(start[u], start[u + 1] - start[u]);
            if (rows.IsEmpty)
            {
                continue;
            }

            order(rows, u);
            var (tr, va, _) = Counts(rows.Length, ratios);
            train.AddRange(rows[..tr]);
            valid.AddRange(rows.Slice(tr, va));
            test.AddRange(rows[(tr + va)..]);
        }

        return new DatasetSplit(
            data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(train)),
            data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(valid)),
            data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(test)));
    }
}
