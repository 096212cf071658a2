namespace Cohortly.Modeling.Drift;

/// <summary>
/// Bins defined by the quantiles of a reference sample. Bin <c>j</c> holds values v with
/// edges[j−1] ≤ v &lt; edges[j] (the first bin is open below, the last open above), so a sample's
/// histogram has <c>edges.Length + 1</c> counts.
/// </summary>
public static class QuantileBinning
{
    /// <summary>
    /// Interior cut points at the reference's i/bins quantiles. Ties collapse duplicate edges, so a
    /// heavily tied reference yields fewer bins than asked for (but its tail keeps a bin of its own).
    /// </summary>
    public static double[] Edges(ReadOnlySpan<double> reference, int bins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        if (reference.IsEmpty)
        {
            throw new ArgumentException("The reference sample is empty.", nameof(reference));
        }

        var sorted = reference.ToArray();
        foreach (var v in sorted)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException("Reference values must be finite.", nameof(reference));
            }
        }

        Array.Sort(sorted);
        var edges = new List<double>(bins - 1);
        for (var i = 1; i < bins; i++)
        {
            var index = Math.Min(sorted.Length - 1, (int)((long)i * sorted.Length / bins));
            var nextIndex = (int)Math.Min(sorted.Length, (long)(i + 1) * sorted.Length / bins);
            var lower = edges.Count == 0 ? sorted[0] : edges[^1];
            if (sorted[index] > lower)
            {
                edges.Add(sorted[index]);
                continue;
            }

            // The quantile sits on a tie (a mass point). Cut just above the tie if the next distinct
            // value still falls inside this quantile's stretch: a reference with 98% zeros keeps a
            // bin for its non-zero tail, and there are never more bins than asked for.
            var above = FirstGreater(sorted, lower);
            if (above < nextIndex)
            {
                edges.Add(sorted[above]);
            }
        }

        return edges.ToArray();
    }

    private static int FirstGreater(double[] sorted, double value)
    {
        var lo = 0;
        var hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Index of the bin that holds <paramref name="value"/>.</summary>
    public static int Bin(ReadOnlySpan<double> edges, double value)
    {
        // Upper bound: the number of edges ≤ value.
        var lo = 0;
        var hi = edges.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (edges[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Counts per bin (length edges.Length + 1).</summary>
    public static double[] Histogram(ReadOnlySpan<double> sample, ReadOnlySpan<double> edges)
    {
        var counts = new double[edges.Length + 1];
        foreach (var v in sample)
        {
            if (double.IsNaN(v))
            {
                throw new ArgumentException("Sample values must not be NaN.", nameof(sample));
            }

            counts[Bin(edges, v)]++;
        }

        return counts;
    }
}
