namespace Cohortly.Modeling.Segmentation.Clustering;

/// <summary>
/// How users moved between two labelings (e.g. yesterday's and today's cohorts, both in stable ids).
/// </summary>
/// <param name="FromLabels">Distinct labels of the first labeling, ascending (the rows).</param>
/// <param name="ToLabels">Distinct labels of the second labeling, ascending (the columns).</param>
/// <param name="Counts">Row-major users per (from, to) pair.</param>
/// <param name="RowShares">Counts divided by their row total: P(to | from).</param>
/// <param name="Total">Number of users.</param>
/// <param name="Unchanged">Users whose label is the same in both labelings.</param>
public sealed record TransitionMatrix(int[] FromLabels, int[] ToLabels, long[] Counts, double[] RowShares, long Total, long Unchanged)
{
    /// <summary>Share of users whose label did not change (meaningful when both labelings use stable ids).</summary>
    public double UnchangedShare => Total > 0 ? (double)Unchanged / Total : 0;

    public long Count(int fromLabel, int toLabel)
    {
        var r = Array.BinarySearch(FromLabels, fromLabel);
        var c = Array.BinarySearch(ToLabels, toLabel);
        return r >= 0 && c >= 0 ? Counts[(r * ToLabels.Length) + c] : 0;
    }

    public double Share(int fromLabel, int toLabel)
    {
        var r = Array.BinarySearch(FromLabels, fromLabel);
        var c = Array.BinarySearch(ToLabels, toLabel);
        return r >= 0 && c >= 0 ? RowShares[(r * ToLabels.Length) + c] : 0;
    }
}

/// <summary>Builds <see cref="TransitionMatrix"/> values.</summary>
public static class ClusterTransitions
{
    /// <param name="before">Label of each user in the first labeling.</param>
    /// <param name="after">Label of the same users, same order, in the second labeling.</param>
    public static TransitionMatrix Compute(ReadOnlySpan<int> before, ReadOnlySpan<int> after)
    {
        if (before.Length != after.Length)
        {
            throw new ArgumentException($"Labelings differ in length ({before.Length} vs {after.Length}).", nameof(after));
        }

        var from = DistinctSorted(before);
        var to = DistinctSorted(after);
        var fromIndex = IndexOf(from);
        var toIndex = IndexOf(to);
        var counts = new long[from.Length * to.Length];
        var unchanged = 0L;
        for (var i = 0; i < before.Length; i++)
        {
            counts[(fromIndex[before[i]] * to.Length) + toIndex[after[i]]]++;
            if (before[i] == after[i])
            {
                unchanged++;
            }
        }

        var shares = new double[counts.Length];
        for (var r = 0; r < from.Length; r++)
        {
            var rowTotal = 0L;
            for (var c = 0; c < to.Length; c++)
            {
                rowTotal += counts[(r * to.Length) + c];
            }

            for (var c = 0; c < to.Length; c++)
            {
                shares[(r * to.Length) + c] = rowTotal > 0 ? (double)counts[(r * to.Length) + c] / rowTotal : 0;
            }
        }

        return new TransitionMatrix(from, to, counts, shares, before.Length, unchanged);
    }

    private static int[] DistinctSorted(ReadOnlySpan<int> labels)
    {
        var set = new HashSet<int>();
        foreach (var l in labels)
        {
            set.Add(l);
        }

        var result = new int[set.Count];
        set.CopyTo(result);
        Array.Sort(result);
        return result;
    }

    private static Dictionary<int, int> IndexOf(int[] labels)
    {
        var map = new Dictionary<int, int>(labels.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            map[labels[i]] = i;
        }

        return map;
    }
}
