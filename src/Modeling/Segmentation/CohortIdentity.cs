using System.Numerics.Tensors;
using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Segmentation;

/// <summary>
/// Keeps cohort ids stable across re-clustering: each new centroid inherits the id of the closest
/// previous centroid (compared in raw feature space, because each version has its own scaler).
/// Pairs are taken closest-first; centroids left over get fresh ids above every id used so far.
/// </summary>
public static class CohortIdentity
{
    public static int[] Match(SegmentationModel? previous, FeatureScaler scaler, IReadOnlyList<float[]> centroids)
    {
        var ids = new int[centroids.Count];
        if (previous is null || previous.Centroids.Count == 0)
        {
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = i + 1;
            }

            return ids;
        }

        var newRaw = Unscale(scaler, centroids);
        var oldRaw = Unscale(previous.Scaler, previous.Centroids);
        // Compare in the new version's standardized units so no single raw scale dominates.
        var pairs = new List<(float Distance, int New, int Old)>(newRaw.Length * oldRaw.Length);
        Span<float> a = stackalloc float[scaler.Dimensions];
        Span<float> b = stackalloc float[scaler.Dimensions];
        for (var n = 0; n < newRaw.Length; n++)
        {
            scaler.Transform(newRaw[n], a);
            for (var o = 0; o < oldRaw.Length; o++)
            {
                scaler.Transform(oldRaw[o], b);
                pairs.Add((TensorPrimitives.Distance(a, b), n, o));
            }
        }

        pairs.Sort(static (x, y) => x.Distance.CompareTo(y.Distance));
        Array.Fill(ids, 0);
        var oldTaken = new bool[oldRaw.Length];
        foreach (var (_, n, o) in pairs)
        {
            if (ids[n] == 0 && !oldTaken[o])
            {
                ids[n] = previous.CohortIds[o];
                oldTaken[o] = true;
            }
        }

        var next = 1;
        foreach (var id in previous.CohortIds)
        {
            next = Math.Max(next, id + 1);
        }

        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] == 0)
            {
                ids[i] = next++;
            }
        }

        return ids;
    }

    private static float[][] Unscale(FeatureScaler scaler, IReadOnlyList<float[]> centroids)
    {
        var result = new float[centroids.Count][];
        for (var i = 0; i < centroids.Count; i++)
        {
            var raw = new float[scaler.Dimensions];
            for (var c = 0; c < raw.Length; c++)
            {
                raw[c] = (centroids[i][c] * scaler.Scales[c]) + scaler.Means[c];
            }

            result[i] = raw;
        }

        return result;
    }
}
