using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation;

/// <summary>
/// Keeps cohort ids stable across re-clustering. Each version has its own scaler, so previous
/// centroids are brought into the new version's standardized units first; then the minimum
/// total-distance assignment (<see cref="ClusterIdentity"/>) decides which new centroid inherits
/// which id. Centroids left over get fresh ids above every id used so far.
/// </summary>
public static class CohortIdentity
{
    public static int[] Match(SegmentationModel? previous, FeatureScaler scaler, IReadOnlyList<float[]> centroids)
    {
        if (previous is null || previous.Centroids.Count == 0)
        {
            var ids = new int[centroids.Count];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = i + 1;
            }

            return ids;
        }

        var d = scaler.Dimensions;
        var old = new FeatureMatrix(previous.Centroids.Count, d);
        Span<float> raw = stackalloc float[d];
        for (var o = 0; o < previous.Centroids.Count; o++)
        {
            for (var c = 0; c < d; c++)
            {
                raw[c] = (previous.Centroids[o][c] * previous.Scaler.Scales[c]) + previous.Scaler.Means[c];
            }

            scaler.Transform(raw, old.Row(o));
        }

        var current = FeatureMatrix.FromRows(centroids);
        var nextFresh = 1;
        foreach (var id in previous.CohortIds)
        {
            nextFresh = Math.Max(nextFresh, id + 1);
        }

        return ClusterIdentity.Match(old, [.. previous.CohortIds], current, nextFresh).StableIds;
    }
}
