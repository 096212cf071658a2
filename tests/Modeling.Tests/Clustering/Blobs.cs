using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.Clustering;

/// <summary>Seeded planted clusters for the clustering tests.</summary>
internal static class Blobs
{
    /// <summary>
    /// <paramref name="k"/> Gaussian blobs around 10·e_c (c-th axis) in <paramref name="dimension"/> dims:
    /// far apart in Euclidean distance and in angle, so both cosine and Euclidean methods must recover them.
    /// </summary>
    public static (FeatureMatrix Data, int[] Truth) Make(Random random, int k, int perCluster, int dimension = 6, double sd = 1.0)
    {
        var n = k * perCluster;
        var data = new FeatureMatrix(n, dimension);
        var truth = new int[n];
        for (var i = 0; i < n; i++)
        {
            var c = i % k; // interleaved, so no algorithm can lean on input order
            truth[i] = c;
            var row = data.Row(i);
            for (var d = 0; d < dimension; d++)
            {
                row[d] = (float)(sd * RandomVariates.StandardNormal(random));
            }

            row[c] += 10;
        }

        return (data, truth);
    }

    /// <summary>True when the two labelings describe the same partition (labels may be renamed).</summary>
    public static bool SamePartition(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var forward = new Dictionary<int, int>();
        var backward = new Dictionary<int, int>();
        for (var i = 0; i < a.Length; i++)
        {
            if (forward.TryGetValue(a[i], out var fb) && fb != b[i])
            {
                return false;
            }

            if (backward.TryGetValue(b[i], out var ba) && ba != a[i])
            {
                return false;
            }

            forward[a[i]] = b[i];
            backward[b[i]] = a[i];
        }

        return true;
    }
}
