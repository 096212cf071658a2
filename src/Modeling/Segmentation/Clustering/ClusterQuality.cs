using System.Numerics.Tensors;

namespace Cohortly.Modeling.Segmentation.Clustering;

/// <summary>
/// Internal cluster-quality indices (Euclidean), used to choose the number of clusters.
/// Labels are cluster indices in [0, k); a label equal to <c>ignoreLabel</c> (e.g. DBSCAN's
/// outlier group) is left out of every computation.
/// </summary>
public static class ClusterQuality
{
    /// <summary>
    /// Mean silhouette over a seeded random sample of rows: s = (b − a) / max(a, b), where a is the
    /// mean distance to the row's own cluster and b the smallest mean distance to another cluster;
    /// singleton clusters score 0. Each sampled row is compared with every row, so the cost is
    /// O(sampleSize · n · d). Higher is better; range [−1, 1].
    /// </summary>
    public static double Silhouette(FeatureMatrix data, ReadOnlySpan<int> labels, int sampleSize, Random random, int? ignoreLabel = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleSize);
        var k = Validate(data, labels, ignoreLabel, out var sizes);

        var members = new int[data.Rows];
        var count = 0;
        for (var i = 0; i < data.Rows; i++)
        {
            if (labels[i] != ignoreLabel)
            {
                members[count++] = i;
            }
        }

        var picks = ClusterMath.SampleIndices(count, sampleSize, random);
        var sums = new double[k];
        var total = 0.0;
        foreach (var pick in picks)
        {
            var i = members[pick];
            var own = labels[i];
            if (sizes[own] == 1)
            {
                continue; // contributes 0
            }

            Array.Clear(sums);
            var row = data.ReadRow(i);
            for (var m = 0; m < count; m++)
            {
                var j = members[m];
                sums[labels[j]] += TensorPrimitives.Distance(row, data.ReadRow(j));
            }

            var a = sums[own] / (sizes[own] - 1);
            var b = double.PositiveInfinity;
            for (var c = 0; c < k; c++)
            {
                if (c != own && sizes[c] > 0)
                {
                    b = Math.Min(b, sums[c] / sizes[c]);
                }
            }

            var denominator = Math.Max(a, b);
            total += denominator > 0 ? (b - a) / denominator : 0;
        }

        return total / picks.Length;
    }

    /// <summary>
    /// Davies–Bouldin index: mean over clusters of max_{j≠i} (S_i + S_j) / ‖c_i − c_j‖, with S the
    /// mean distance of members to their centroid. Lower is better; <see cref="double.MaxValue"/>
    /// when two clusters share a centroid (kept finite so it serializes).
    /// </summary>
    public static double DaviesBouldin(FeatureMatrix data, ReadOnlySpan<int> labels, int? ignoreLabel = null)
    {
        var k = Validate(data, labels, ignoreLabel, out _);
        var filtered = labels.ToArray();
        if (ignoreLabel is { } ignored)
        {
            for (var i = 0; i < filtered.Length; i++)
            {
                if (filtered[i] == ignored)
                {
                    filtered[i] = -1;
                }
            }
        }

        var centroids = ClusterMath.Centroids(data, filtered, k, out var sizes);
        var scatter = new double[k];
        for (var i = 0; i < data.Rows; i++)
        {
            var l = filtered[i];
            if (l >= 0)
            {
                scatter[l] += TensorPrimitives.Distance(data.ReadRow(i), centroids.ReadRow(l));
            }
        }

        var used = 0;
        var total = 0.0;
        for (var c = 0; c < k; c++)
        {
            if (sizes[c] == 0)
            {
                continue;
            }

            scatter[c] /= sizes[c];
        }

        for (var c = 0; c < k; c++)
        {
            if (sizes[c] == 0)
            {
                continue;
            }

            used++;
            var worst = 0.0;
            for (var o = 0; o < k; o++)
            {
                if (o == c || sizes[o] == 0)
                {
                    continue;
                }

                var separation = TensorPrimitives.Distance(centroids.ReadRow(c), centroids.ReadRow(o));
                if (separation <= 0)
                {
                    return double.MaxValue;
                }

                worst = Math.Max(worst, (scatter[c] + scatter[o]) / separation);
            }

            total += worst;
        }

        return total / used;
    }

    private static int Validate(FeatureMatrix data, ReadOnlySpan<int> labels, int? ignoreLabel, out int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (labels.Length != data.Rows)
        {
            throw new ArgumentException($"Got {labels.Length} labels for {data.Rows} rows.", nameof(labels));
        }

        var k = 0;
        foreach (var l in labels)
        {
            if (l == ignoreLabel)
            {
                continue;
            }

            if (l < 0)
            {
                throw new ArgumentException("Labels must be non-negative cluster indices.", nameof(labels));
            }

            k = Math.Max(k, l + 1);
        }

        sizes = new int[k];
        foreach (var l in labels)
        {
            if (l != ignoreLabel)
            {
                sizes[l]++;
            }
        }

        var nonEmpty = 0;
        foreach (var s in sizes)
        {
            nonEmpty += s > 0 ? 1 : 0;
        }

        if (nonEmpty < 2)
        {
            throw new ArgumentException("Quality indices need at least two non-empty clusters.", nameof(labels));
        }

        return k;
    }
}
