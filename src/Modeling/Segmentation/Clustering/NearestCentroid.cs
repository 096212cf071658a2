using System.Numerics.Tensors;

namespace Cohortly.Modeling.Segmentation.Clustering;

/// <summary>Assigns vectors to the closest of a set of centroids (one centroid per row).</summary>
public static class NearestCentroid
{
    /// <summary>Index of the centroid with the smallest Euclidean distance (ties: lowest index).</summary>
    public static int ByEuclidean(FeatureMatrix centroids, ReadOnlySpan<float> vector)
    {
        Validate(centroids, vector);
        var best = 0;
        var bestDistance = float.PositiveInfinity;
        for (var c = 0; c < centroids.Rows; c++)
        {
            var d = TensorPrimitives.Distance(centroids.ReadRow(c), vector);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }

        return best;
    }

    /// <summary>
    /// Index of the centroid with the largest cosine similarity (ties: lowest index). A zero vector
    /// is equally far from every direction and goes to centroid 0.
    /// </summary>
    public static int ByCosine(FeatureMatrix centroids, ReadOnlySpan<float> vector)
    {
        Validate(centroids, vector);
        var norm = TensorPrimitives.Norm(vector);
        var best = 0;
        var bestSimilarity = float.NegativeInfinity;
        for (var c = 0; c < centroids.Rows; c++)
        {
            var row = centroids.ReadRow(c);
            var denominator = norm * TensorPrimitives.Norm(row);
            var similarity = denominator > 0 ? TensorPrimitives.Dot(row, vector) / denominator : 0;
            if (similarity > bestSimilarity)
            {
                bestSimilarity = similarity;
                best = c;
            }
        }

        return best;
    }

    /// <summary>Labels every row of <paramref name="data"/> with its nearest centroid.</summary>
    public static int[] AssignAll(FeatureMatrix centroids, FeatureMatrix data, bool cosine)
    {
        ArgumentNullException.ThrowIfNull(data);
        var labels = new int[data.Rows];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = cosine ? ByCosine(centroids, data.ReadRow(i)) : ByEuclidean(centroids, data.ReadRow(i));
        }

        return labels;
    }

    private static void Validate(FeatureMatrix centroids, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        if (centroids.Rows == 0)
        {
            throw new ArgumentException("At least one centroid is required.", nameof(centroids));
        }

        if (vector.Length != centroids.Columns)
        {
            throw new ArgumentException($"Vector has {vector.Length} values, centroids have {centroids.Columns}.", nameof(vector));
        }
    }
}
