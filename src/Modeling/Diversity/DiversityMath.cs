using System.Numerics.Tensors;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Diversity;

internal static class DiversityMath
{
    /// <summary>Rows scaled to unit length (zero rows stay zero, i.e. similar to nothing).</summary>
    public static float[] UnitRows(FeatureMatrix vectors)
    {
        var unit = new float[vectors.Values.Length];
        var d = vectors.Columns;
        for (var i = 0; i < vectors.Rows; i++)
        {
            var row = vectors.ReadRow(i);
            var norm = TensorPrimitives.Norm(row);
            var target = unit.AsSpan(i * d, d);
            if (norm > 0)
            {
                TensorPrimitives.Divide(row, norm, target);
            }
        }

        return unit;
    }

    /// <summary>Relevance mapped to [0, 1] by min–max (all zeros when every score is equal), so λ means the same whatever the ranker's scale.</summary>
    public static double[] Normalize(ReadOnlySpan<double> relevance, bool normalize)
    {
        var result = new double[relevance.Length];
        Normalize(relevance, normalize, result);
        return result;
    }

    /// <summary><see cref="Normalize(ReadOnlySpan{double}, bool)"/> into <paramref name="result"/> (the same length).</summary>
    public static void Normalize(ReadOnlySpan<double> relevance, bool normalize, Span<double> result)
    {
        relevance.CopyTo(result);
        foreach (var r in result)
        {
            if (!double.IsFinite(r))
            {
                throw new ArgumentException("Relevance scores must be finite.", nameof(relevance));
            }
        }

        if (!normalize || result.IsEmpty)
        {
            return;
        }

        var min = TensorPrimitives.Min<double>(result);
        var max = TensorPrimitives.Max<double>(result);
        var range = max - min;
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = range > 0 ? (result[i] - min) / range : 0;
        }
    }

    /// <summary>Indices by relevance descending, ties in candidate order.</summary>
    public static int[] RelevanceOrder(ReadOnlySpan<double> relevance)
    {
        var keys = relevance.ToArray();
        var order = new int[keys.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            var c = keys[b].CompareTo(keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return order;
    }

    public static void Validate(int candidates, FeatureMatrix itemVectors, int k)
    {
        ArgumentNullException.ThrowIfNull(itemVectors);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (itemVectors.Rows != candidates)
        {
            throw new ArgumentException($"Got {candidates} relevance scores but {itemVectors.Rows} item vectors.", nameof(itemVectors));
        }
    }

    public static void ValidateLambda(double lambda)
    {
        if (!(lambda >= 0 && lambda <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "Lambda must be in [0, 1].");
        }
    }
}
