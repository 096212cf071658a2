namespace Cohortly.Modeling.Segmentation;

/// <summary>Agreement between two labelings of the same points.</summary>
public static class ClusterAgreement
{
    /// <summary>Adjusted Rand index (Hubert–Arabie): 1 for identical partitions, about 0 for chance.</summary>
    public static double AdjustedRandIndex(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("labelings must have the same length");
        }

        var n = a.Length;
        if (n < 2)
        {
            return 1;
        }

        var table = new Dictionary<(int, int), long>();
        var rows = new Dictionary<int, long>();
        var cols = new Dictionary<int, long>();
        for (var i = 0; i < n; i++)
        {
            table[(a[i], b[i])] = table.GetValueOrDefault((a[i], b[i])) + 1;
            rows[a[i]] = rows.GetValueOrDefault(a[i]) + 1;
            cols[b[i]] = cols.GetValueOrDefault(b[i]) + 1;
        }

        static double Pairs(long x) => x * (x - 1) / 2.0;
        double index = 0, sumRows = 0, sumCols = 0;
        foreach (var v in table.Values)
        {
            index += Pairs(v);
        }

        foreach (var v in rows.Values)
        {
            sumRows += Pairs(v);
        }

        foreach (var v in cols.Values)
        {
            sumCols += Pairs(v);
        }

        var expected = sumRows * sumCols / Pairs(n);
        var max = (sumRows + sumCols) / 2;
        return max - expected == 0 ? 1 : (index - expected) / (max - expected);
    }
}
