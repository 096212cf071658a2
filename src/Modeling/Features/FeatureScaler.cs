using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Features;

/// <summary>Standardization (z-scores) fitted on a sample. Constant columns get unit scale.</summary>
public sealed record FeatureScaler(float[] Means, float[] Scales)
{
    public int Dimensions => Means.Length;

    public static FeatureScaler Fit(FeatureMatrix data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var d = data.Columns;
        var mean = new double[d];
        var sq = new double[d];
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

        for (var r = 0; r < data.Rows; r++)
        {
            var row = data.ReadRow(r);
            for (var c = 0; c < d; c++)
            {
                var diff = row[c] - mean[c];
                sq[c] += diff * diff;
            }
        }

        var means = new float[d];
        var scales = new float[d];
        for (var c = 0; c < d; c++)
        {
            means[c] = (float)mean[c];
            var std = Math.Sqrt(sq[c] / n);
            scales[c] = std > 1e-9 ? (float)std : 1f;
        }

        return new FeatureScaler(means, scales);
    }

    public void Transform(ReadOnlySpan<float> raw, Span<float> destination)
    {
        for (var c = 0; c < Means.Length; c++)
        {
            destination[c] = (raw[c] - Means[c]) / Scales[c];
        }
    }

    public FeatureMatrix Transform(FeatureMatrix data)
    {
        var result = new FeatureMatrix(data.Rows, data.Columns);
        for (var r = 0; r < data.Rows; r++)
        {
            Transform(data.ReadRow(r), result.Row(r));
        }

        return result;
    }
}
