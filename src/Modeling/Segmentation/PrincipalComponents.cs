namespace Cohortly.Modeling.Segmentation;

/// <summary>
/// The leading principal components of a matrix: eigenvectors of its covariance with the largest eigenvalues, found by
/// power iteration with deflation (Golub and Van Loan, Matrix Computations, 4th ed., §7.3). The segmentation has about
/// fifteen features, so the covariance is a 15 × 15 matrix and power iteration on it costs nothing next to forming it
/// (one pass over the rows); no general eigensolver is needed.
/// </summary>
public sealed record PrincipalComponents(float[] Means, IReadOnlyList<float[]> Components, double[] ExplainedVariance)
{
    private const int MaxIterations = 500;
    private const double Tolerance = 1e-10;

    /// <summary>
    /// Fits <paramref name="count"/> components. Deterministic: the start vector is fixed and each component's sign is
    /// chosen so its largest-magnitude entry is positive, so the same data always gives the same picture.
    /// <see cref="ExplainedVariance"/> holds each component's share of the total variance (0 when the data has none).
    /// </summary>
    public static PrincipalComponents Fit(FeatureMatrix data, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var d = data.Columns;
        count = Math.Min(count, d);
        var mean = new double[d];
        for (var r = 0; r < data.Rows; r++)
        {
            var row = data.ReadRow(r);
            for (var c = 0; c < d; c++)
            {
                mean[c] += row[c];
            }
        }

        var n = Math.Max(1, data.Rows);
        for (var c = 0; c < d; c++)
        {
            mean[c] /= n;
        }

        var covariance = new double[d, d];
        var centred = new double[d];
        for (var r = 0; r < data.Rows; r++)
        {
            var row = data.ReadRow(r);
            for (var c = 0; c < d; c++)
            {
                centred[c] = row[c] - mean[c];
            }

            for (var i = 0; i < d; i++)
            {
                for (var j = i; j < d; j++)
                {
                    covariance[i, j] += centred[i] * centred[j];
                }
            }
        }

        var total = 0.0;
        for (var i = 0; i < d; i++)
        {
            for (var j = i; j < d; j++)
            {
                covariance[i, j] /= n;
                covariance[j, i] = covariance[i, j];
            }

            total += covariance[i, i];
        }

        var components = new float[count][];
        var explained = new double[count];
        for (var k = 0; k < count; k++)
        {
            var (vector, value) = Leading(covariance, d);
            components[k] = Array.ConvertAll(vector, v => (float)v);
            explained[k] = total > 0 ? Math.Max(0, value) / total : 0;

            // Deflate: remove this component so the next iteration finds the next one.
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    covariance[i, j] -= value * vector[i] * vector[j];
                }
            }
        }

        return new PrincipalComponents(Array.ConvertAll(mean, m => (float)m), components, explained);
    }

    /// <summary>Coordinates of one row on the components.</summary>
    public void Project(ReadOnlySpan<float> row, Span<float> destination)
    {
        for (var k = 0; k < Components.Count; k++)
        {
            var component = Components[k];
            var sum = 0.0;
            for (var c = 0; c < component.Length; c++)
            {
                sum += (row[c] - Means[c]) * component[c];
            }

            destination[k] = (float)sum;
        }
    }

    private static (double[] Vector, double Value) Leading(double[,] matrix, int d)
    {
        // A fixed, non-symmetric start so no eigenvector is orthogonal to it by the data's symmetry alone.
        var v = new double[d];
        for (var i = 0; i < d; i++)
        {
            v[i] = 1.0 + (i * 0.1);
        }

        Normalize(v);
        var next = new double[d];
        var value = 0.0;
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            for (var i = 0; i < d; i++)
            {
                var sum = 0.0;
                for (var j = 0; j < d; j++)
                {
                    sum += matrix[i, j] * v[j];
                }

                next[i] = sum;
            }

            value = Dot(v, next);
            if (Normalize(next) < 1e-15)
            {
                // The remaining variance is zero: any unit vector orthogonal to the found ones is a component.
                return (v, 0);
            }

            var change = 0.0;
            for (var i = 0; i < d; i++)
            {
                change += Math.Abs(next[i] - v[i]);
            }

            (v, next) = (next, v);
            if (change < Tolerance)
            {
                break;
            }
        }

        var largest = 0;
        for (var i = 1; i < d; i++)
        {
            if (Math.Abs(v[i]) > Math.Abs(v[largest]))
            {
                largest = i;
            }
        }

        if (v[largest] < 0)
        {
            for (var i = 0; i < d; i++)
            {
                v[i] = -v[i];
            }
        }

        return (v, value);
    }

    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static double Normalize(double[] v)
    {
        var norm = Math.Sqrt(Dot(v, v));
        if (norm < 1e-15)
        {
            return norm;
        }

        for (var i = 0; i < v.Length; i++)
        {
            v[i] /= norm;
        }

        return norm;
    }
}
