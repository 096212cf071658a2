using System.Numerics.Tensors;

namespace Cohortly.Modeling.Segmentation.Clustering;

/// <summary>How one new cluster got its stable id.</summary>
/// <param name="NewIndex">Row of the new centroid.</param>
/// <param name="StableId">Id the cluster carries from now on.</param>
/// <param name="PreviousIndex">Row of the matched previous centroid; null for a fresh cluster.</param>
/// <param name="Distance">Euclidean distance to the matched previous centroid; null for a fresh cluster.</param>
public sealed record ClusterMatch(int NewIndex, int StableId, int? PreviousIndex, double? Distance);

/// <summary>Result of matching a new segmentation to the previous one.</summary>
/// <param name="Matches">One entry per new centroid, in new-centroid order.</param>
/// <param name="VanishedIds">Previous ids that matched no new cluster.</param>
/// <param name="FreshIds">Ids issued for new clusters that matched no previous one.</param>
/// <param name="NextFreshId">First id not yet issued (persist it with the segmentation).</param>
public sealed record ClusterIdMapping(ClusterMatch[] Matches, int[] VanishedIds, int[] FreshIds, int NextFreshId)
{
    /// <summary>Stable id of each new centroid, in new-centroid order.</summary>
    public int[] StableIds
    {
        get
        {
            var ids = new int[Matches.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = Matches[i].StableId;
            }

            return ids;
        }
    }
}

/// <summary>
/// Keeps cohort ids stable across re-clustering: new centroids inherit the ids of the previous
/// centroids they match under the minimum-total-distance assignment. With more new clusters than
/// old, the extra ones get fresh ids; old clusters left without a partner are reported as vanished.
/// </summary>
public static class ClusterIdentity
{
    /// <param name="previousCentroids">Centroids of the previous segmentation (same feature space).</param>
    /// <param name="previousIds">Stable id of each previous centroid (distinct).</param>
    /// <param name="currentCentroids">Centroids of the new segmentation.</param>
    /// <param name="nextFreshId">First unused id; must exceed every previous id.</param>
    /// <param name="maxMatchDistance">
    /// A pair farther apart than this is never matched (the new cluster gets a fresh id and the old
    /// one vanishes). The threshold is part of the optimization, not a filter applied afterwards.
    /// </param>
    public static ClusterIdMapping Match(
        FeatureMatrix previousCentroids,
        ReadOnlySpan<int> previousIds,
        FeatureMatrix currentCentroids,
        int nextFreshId,
        double maxMatchDistance = double.PositiveInfinity)
    {
        ArgumentNullException.ThrowIfNull(previousCentroids);
        ArgumentNullException.ThrowIfNull(currentCentroids);
        var oldCount = previousCentroids.Rows;
        var newCount = currentCentroids.Rows;
        if (previousIds.Length != oldCount)
        {
            throw new ArgumentException($"Got {previousIds.Length} ids for {oldCount} previous centroids.", nameof(previousIds));
        }

        if (oldCount > 0 && newCount > 0 && previousCentroids.Columns != currentCentroids.Columns)
        {
            throw new ArgumentException("Previous and current centroids have different dimensions.", nameof(currentCentroids));
        }

        if (!(maxMatchDistance >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxMatchDistance), maxMatchDistance, "The distance limit must be non-negative.");
        }

        var seen = new HashSet<int>();
        foreach (var id in previousIds)
        {
            if (!seen.Add(id))
            {
                throw new ArgumentException($"Previous id {id} is repeated.", nameof(previousIds));
            }

            if (id >= nextFreshId)
            {
                throw new ArgumentException($"nextFreshId {nextFreshId} must exceed every previous id (found {id}).", nameof(nextFreshId));
            }
        }

        var distance = new double[oldCount * newCount];
        for (var o = 0; o < oldCount; o++)
        {
            for (var n = 0; n < newCount; n++)
            {
                distance[(o * newCount) + n] = TensorPrimitives.Distance(previousCentroids.ReadRow(o), currentCentroids.ReadRow(n));
            }
        }

        var oldToNew = double.IsPositiveInfinity(maxMatchDistance)
            ? LinearAssignment.Solve(distance, oldCount, newCount)
            : SolveGated(distance, oldCount, newCount, maxMatchDistance);

        var matches = new ClusterMatch?[newCount];
        var vanished = new List<int>();
        for (var o = 0; o < oldCount; o++)
        {
            var n = oldToNew[o];
            if (n >= 0)
            {
                matches[n] = new ClusterMatch(n, previousIds[o], o, distance[(o * newCount) + n]);
            }
            else
            {
                vanished.Add(previousIds[o]);
            }
        }

        var fresh = new List<int>();
        var result = new ClusterMatch[newCount];
        for (var n = 0; n < newCount; n++)
        {
            if (matches[n] is { } m)
            {
                result[n] = m;
            }
            else
            {
                fresh.Add(nextFreshId);
                result[n] = new ClusterMatch(n, nextFreshId++, null, null);
            }
        }

        return new ClusterIdMapping(result, vanished.ToArray(), fresh.ToArray(), nextFreshId);
    }

    // Square (old + new) problem: the top-left block holds the real distances (forbidden beyond the
    // limit), each old cluster may instead take its private "vanish" column and each new cluster its
    // private "fresh" row at half the limit each. Matching a pair therefore wins exactly when its
    // distance is below the limit, and the optimum trades all pairs off jointly.
    private static int[] SolveGated(double[] distance, int oldCount, int newCount, double limit)
    {
        var size = oldCount + newCount;
        var total = 0.0;
        foreach (var d in distance)
        {
            total += Math.Min(d, limit);
        }

        var forbidden = (2 * total) + (limit * size) + 1;
        var cost = new double[size * size];
        for (var r = 0; r < size; r++)
        {
            for (var c = 0; c < size; c++)
            {
                double value;
                if (r < oldCount && c < newCount)
                {
                    var d = distance[(r * newCount) + c];
                    value = d <= limit ? d : forbidden;
                }
                else if (r < oldCount)
                {
                    value = c - newCount == r ? limit / 2 : forbidden;
                }
                else if (c < newCount)
                {
                    value = r - oldCount == c ? limit / 2 : forbidden;
                }
                else
                {
                    value = 0;
                }

                cost[(r * size) + c] = value;
            }
        }

        var assignment = LinearAssignment.Solve(cost, size, size);
        var oldToNew = new int[oldCount];
        for (var o = 0; o < oldCount; o++)
        {
            oldToNew[o] = assignment[o] < newCount ? assignment[o] : -1;
        }

        return oldToNew;
    }
}
