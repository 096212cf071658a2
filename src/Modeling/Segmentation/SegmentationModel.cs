using System.Numerics.Tensors;
using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Segmentation;

/// <summary>
/// One version of the user segmentation: the scaler, standardized centroids and, per centroid,
/// a stable cohort id and a label. Assignment is nearest centroid in standardized space.
/// </summary>
public sealed record SegmentationModel(
    long Version,
    IReadOnlyList<string> FeatureNames,
    FeatureScaler Scaler,
    IReadOnlyList<float[]> Centroids,
    IReadOnlyList<int> CohortIds,
    IReadOnlyList<string> Labels)
{
    public int Dimensions => Scaler.Dimensions;

    /// <summary>Index of the nearest centroid for a raw (unscaled) feature vector.</summary>
    public int NearestIndex(ReadOnlySpan<float> raw, out float distance)
    {
        Span<float> scaled = stackalloc float[Scaler.Dimensions];
        Scaler.Transform(raw, scaled);
        var best = -1;
        distance = float.PositiveInfinity;
        for (var i = 0; i < Centroids.Count; i++)
        {
            var d = TensorPrimitives.Distance(scaled, Centroids[i]);
            if (d < distance)
            {
                distance = d;
                best = i;
            }
        }

        return best;
    }

    /// <summary>Label of a stable cohort id, or null when this version has no such cohort.</summary>
    public string? LabelOf(int cohortId)
    {
        for (var i = 0; i < CohortIds.Count; i++)
        {
            if (CohortIds[i] == cohortId)
            {
                return Labels[i];
            }
        }

        return null;
    }

    /// <summary>Stable cohort id for a raw feature vector.</summary>
    public int Assign(ReadOnlySpan<float> raw) => CohortIds[NearestIndex(raw, out _)];
}
