namespace Cohortly.Modeling.Segmentation.Clustering;

internal static class ClusterMath
{
    /// <summary>Mean of the rows of each cluster (labels in [0, k)); rows with other labels are skipped.</summary>
    public static FeatureMatrix Centroids(FeatureMatrix data, ReadOnlySpan<int> labels, int k, out int[] sizes)
    {
        var centroids = new FeatureMatrix(k, data.Columns);
        sizes = new int[k];
        for (var i = 0; i < data.Rows; i++)
        {
            var label = labels[i];
            if ((uint)label >= (uint)k)
            {
                continue;
            }

            sizes[label]++;
            System.Numerics.Tensors.TensorPrimitives.Add(centroids.Row(label), data.ReadRow(i), centroids.Row(label));
        }

        for (var c = 0; c < k; c++)
        {
            if (sizes[c] > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(centroids.Row(c), sizes[c], centroids.Row(c));
            }
        }

        return centroids;
    }

    /// <summary>Row indices of a uniform sample without replacement, in ascending order (all rows when n ≤ size).</summary>
    public static int[] SampleIndices(int n, int size, Random random)
    {
        var indices = new int[n];
        for (var i = 0; i < n; i++)
        {
            indices[i] = i;
        }

        if (size >= n)
        {
            return indices;
        }

        // Partial Fisher–Yates: the first `size` slots end up a uniform sample.
        for (var i = 0; i < size; i++)
        {
            var j = random.Next(i, n);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }

        var sample = indices.AsSpan(0, size).ToArray();
        Array.Sort(sample);
        return sample;
    }

    public static FeatureMatrix SelectRows(FeatureMatrix data, int[] rows)
    {
        var m = new FeatureMatrix(rows.Length, data.Columns);
        for (var i = 0; i < rows.Length; i++)
        {
            data.ReadRow(rows[i]).CopyTo(m.Row(i));
        }

        return m;
    }
}
