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

    /// <summary>
    /// One cut date for everybody: the validation cut is the time of the event at the train share of the timeline and
    /// the test cut the time at the train + validation share; events are then assigned by time alone
    /// (<see cref="GlobalTime(InteractionDataset, long, long)"/>), so events at the same second never straddle a cut.
    /// </summary>
    public static DatasetSplit GlobalTemporal(InteractionDataset data, SplitRatios ratios)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
        {
            return GlobalTime(data, 0, 0);
        }

        var ts = data.Timestamps.ToArray();
        Array.Sort(ts);
        var (train, valid, _) = Counts(ts.Length, ratios);
        var validationCut = ts[Math.Min(train, ts.Length - 1)];
        var testCut = ts[Math.Min(train + valid, ts.Length - 1)];
        return GlobalTime(data, validationCut, Math.Max(validationCut, testCut));
    }

    /// <summary>
    /// Train = events strictly before <paramref name="validationCut"/>, validation = from it to strictly before
    /// <paramref name="testCut"/>, test = the rest; file order is kept inside each part.
    /// </summary>
    public static DatasetSplit GlobalTime(InteractionDataset data, long validationCut, long testCut)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (testCut < validationCut)
        {
            throw new ArgumentException("the test cut must not come before the validation cut", nameof(testCut));
        }

        var ts = data.Timestamps;
        var train = new List<int>(data.Count);
        var valid = new List<int>();
        var test = new List<int>();
        for (var r = 0; r < ts.Length; r++)
        {
            (ts[r] < validationCut ? train : ts[r] < testCut ? valid : test).Add(r);
        }

        return new DatasetSplit(
            data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(train)),
            data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(valid)),
            data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(test)))
        {
            ValidationCut = validationCut,
            TestCut = testCut,
        };
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
