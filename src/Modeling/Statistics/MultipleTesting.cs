namespace Cohortly.Modeling.Statistics;

/// <summary>Family-wise error control when one experiment compares several variants against control.</summary>
public static class MultipleTesting
{
    /// <summary>
    /// Holm–Bonferroni adjusted p-values, in the input order. Sorted ascending, the i-th smallest
    /// (0-based) is multiplied by (m − i), made non-decreasing along the sorted order and capped at 1;
    /// rejecting every hypothesis whose adjusted value is ≤ α controls the family-wise error at α.
    /// </summary>
    public static double[] HolmBonferroni(ReadOnlySpan<double> pValues)
    {
        var m = pValues.Length;
        var adjusted = new double[m];
        if (m == 0)
        {
            return adjusted;
        }

        var order = new int[m];
        var keys = new double[m];
        for (var i = 0; i < m; i++)
        {
            var p = pValues[i];
            if (double.IsNaN(p) || p < 0 || p > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(pValues), p, "p-values must be in [0, 1].");
            }

            order[i] = i;
            keys[i] = p;
        }

        // Array.Sort is not stable, but tied p-values still get one adjusted value: the first of a
        // tie carries the largest multiplier and the running maximum passes it to the others.
        Array.Sort(keys, order);
        var running = 0.0;
        for (var rank = 0; rank < m; rank++)
        {
            var value = Math.Min(1, (m - rank) * keys[rank]);
            running = Math.Max(running, value);
            adjusted[order[rank]] = running;
        }

        return adjusted;
    }

    /// <summary>Which hypotheses Holm's step-down procedure rejects at family-wise level <paramref name="alpha"/>.</summary>
    public static bool[] HolmReject(ReadOnlySpan<double> pValues, double alpha = 0.05)
    {
        var adjusted = HolmBonferroni(pValues);
        var reject = new bool[adjusted.Length];
        for (var i = 0; i < adjusted.Length; i++)
        {
            reject[i] = adjusted[i] <= alpha;
        }

        return reject;
    }
}
