using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation;

/// <summary>
/// Keeps cohort ids stable across re-clustering. Each version has its own scaler, so the reference centroids are
/// brought into the new version's standardized units first; then the minimum total-distance assignment
/// (<see cref="ClusterIdentity"/>), gated at a maximum distance, decides which new centroid inherits which id.
/// Centroids left over, or farther than the limit from every free reference, get fresh ids above every id issued so far.
/// </summary>
public static class CohortIdentity
{
    public static int[] Match(SegmentationModel? previous, FeatureScaler scaler, IReadOnlyList<float[]> centroids) =>
        Match(previous is null ? null : new SegmentationBasis(previous), scaler, centroids, double.PositiveInfinity).StableIds;

    /// <summary>
    /// The reference of each previous id is the anchor's centroid when the anchor (the active model's segmentation)
    /// has that id, else the previous version's.
    /// </summary>
    public static ClusterIdMapping Match(SegmentationBasis? basis, FeatureScaler scaler, IReadOnlyList<float[]> centroids, double maxMatchDistance)
    {
        ArgumentNullException.ThrowIfNull(scaler);
        ArgumentNullException.ThrowIfNull(centroids);
        var d = scaler.Dimensions;
        var nextFresh = Math.Max(1, basis?.NextCohortId ?? 1);
        var previous = basis?.Previous;
        var anchor = basis?.Anchor is { } a && a.Dimensions == d ? a : null;
        if (previous is not null)
        {
            nextFresh = Math.Max(nextFresh, MaxId(previous) + 1);
        }

        if (anchor is not null)
        {
            nextFresh = Math.Max(nextFresh, MaxId(anchor) + 1);
        }

        if (previous is null || previous.Centroids.Count == 0 || previous.Dimensions != d || centroids.Count == 0)
        {
            // Nothing comparable (first version, or the feature set changed): every cohort is new.
            var matches = new ClusterMatch[centroids.Count];
            var fresh = new int[centroids.Count];
            for (var i = 0; i < matches.Length; i++)
            {
                fresh[i] = nextFresh;
                matches[i] = new ClusterMatch(i, nextFresh++, null, null);
            }

            var vanished = previous is null ? [] : previous.CohortIds.ToArray();
            return new ClusterIdMapping(matches, vanished, fresh, nextFresh);
        }

        var old = new FeatureMatrix(previous.Centroids.Count, d);
        Span<float> raw = stackalloc float[d];
        for (var o = 0; o < previous.Centroids.Count; o++)
        {
            var reference = previous;
            var row = o;
            if (anchor is not null && IndexOf(anchor.CohortIds, previous.CohortIds[o]) is var at and >= 0)
            {
                reference = anchor;
                row = at;
            }

            var centroid = reference.Centroids[row];
            for (var c = 0; c < d; c++)
            {
                raw[c] = (centroid[c] * reference.Scaler.Scales[c]) + reference.Scaler.Means[c];
            }

            scaler.Transform(raw, old.Row(o));
        }

        return ClusterIdentity.Match(old, [.. previous.CohortIds], FeatureMatrix.FromRows(centroids), nextFresh, maxMatchDistance);
    }

    private static int MaxId(SegmentationModel model)
    {
        var max = 0;
        foreach (var id in model.CohortIds)
        {
            max = Math.Max(max, id);
        }

        return max;
    }

    private static int IndexOf(IReadOnlyList<int> ids, int id)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == id)
            {
                return i;
            }
        }

        return -1;
    }
}
