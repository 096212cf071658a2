using System.Numerics.Tensors;

namespace Cohortly.Modeling.Segmentation.Clustering;

/// <summary>Settings of <see cref="AgglomerativeClustering"/>. Give a cluster count, a distance threshold, or both (whichever stops first).</summary>
/// <param name="ClusterCount">Stop merging at this many clusters.</param>
/// <param name="DistanceThreshold">Never merge clusters whose average cosine distance exceeds this (0..2).</param>
/// <param name="MaxSampleSize">Rows clustered exactly (O(n²) memory: 3000 rows ≈ 18 MB); the rest go to the nearest centroid.</param>
public sealed record AgglomerativeOptions(int? ClusterCount = null, double? DistanceThreshold = null, int MaxSampleSize = 3000)
{
    /// <summary>Largest sample the condensed distance matrix is allowed to hold.</summary>
    public const int SampleSizeLimit = 10_000;

    internal void Validate()
    {
        if (ClusterCount is null && DistanceThreshold is null)
        {
            throw new ArgumentException("Give a cluster count or a distance threshold.");
        }

        if (ClusterCount is { } k)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k, nameof(ClusterCount));
        }

        if (DistanceThreshold is { } t && !(t >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(DistanceThreshold), t, "The threshold must be non-negative.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSampleSize, 2, nameof(MaxSampleSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSampleSize, SampleSizeLimit, nameof(MaxSampleSize));
    }
}

/// <summary>One merge of the dendrogram, in sample-row space.</summary>
/// <param name="Left">A sample row of the first merged cluster (its representative).</param>
/// <param name="Right">A sample row of the second merged cluster.</param>
/// <param name="Height">Average cosine distance between the two clusters when merged.</param>
/// <param name="Size">Rows in the merged cluster.</param>
public readonly record struct DendrogramMerge(int Left, int Right, double Height, int Size);

/// <summary>Outcome of <see cref="AgglomerativeClustering.Fit"/>.</summary>
/// <param name="Labels">Cluster of every input row, in [0, ClusterCount).</param>
/// <param name="ClusterCount">Number of clusters.</param>
/// <param name="Centroids">Mean of each cluster's sample rows (raw feature space).</param>
/// <param name="Sizes">Rows per cluster over the whole input.</param>
/// <param name="SampleRows">Input rows that were clustered exactly (ascending).</param>
/// <param name="Merges">The full dendrogram of the sample, lowest merges first.</param>
public sealed record AgglomerativeResult(
    int[] Labels,
    int ClusterCount,
    FeatureMatrix Centroids,
    int[] Sizes,
    int[] SampleRows,
    DendrogramMerge[] Merges);

/// <summary>
/// Hierarchical agglomerative clustering with cosine distance and average linkage (UPGMA) on a
/// bounded random sample, then nearest-centroid (cosine) assignment of the remaining rows.
/// The dendrogram is built with the nearest-neighbour-chain algorithm and Lance–Williams updates
/// on a condensed distance matrix: O(n²) time and memory in the sample size, exact for average
/// linkage because it is a reducible linkage.
/// </summary>
public sealed class AgglomerativeClustering
{
    private readonly AgglomerativeOptions _options;

    public AgglomerativeClustering(AgglomerativeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <param name="data">One row per user.</param>
    /// <param name="random">Seeded source for the sample (unused when the data fits in it).</param>
    public AgglomerativeResult Fit(FeatureMatrix data, Random random)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        if (data.Rows == 0)
        {
            throw new ArgumentException("No rows to cluster.", nameof(data));
        }

        var sampleRows = ClusterMath.SampleIndices(data.Rows, _options.MaxSampleSize, random);
        var sample = ClusterMath.SelectRows(data, sampleRows);
        var merges = BuildDendrogram(sample);
        var sampleLabels = Cut(merges, sample.Rows, out var k);
        var centroids = ClusterMath.Centroids(sample, sampleLabels, k, out _);

        var labels = new int[data.Rows];
        var inSample = 0;
        for (var i = 0; i < data.Rows; i++)
        {
            if (inSample < sampleRows.Length && sampleRows[inSample] == i)
            {
                labels[i] = sampleLabels[inSample++];
            }
            else
            {
                labels[i] = NearestCentroid.ByCosine(centroids, data.ReadRow(i));
            }
        }

        var sizes = new int[k];
        foreach (var l in labels)
        {
            sizes[l]++;
        }

        return new AgglomerativeResult(labels, k, centroids, sizes, sampleRows, merges);
    }

    /// <summary>Full average-linkage dendrogram of <paramref name="rows"/>, sorted by height.</summary>
    internal static DendrogramMerge[] BuildDendrogram(FeatureMatrix rows)
    {
        var n = rows.Rows;
        var distances = CosineDistances(rows);
        var active = new bool[n];
        Array.Fill(active, true);
        var size = new int[n];
        Array.Fill(size, 1);
        var chain = new int[n];
        var top = 0;
        var merges = new List<DendrogramMerge>(Math.Max(0, n - 1));
        var firstActive = 0;

        for (var remaining = n; remaining > 1;)
        {
            if (top == 0)
            {
                while (!active[firstActive])
                {
                    firstActive++;
                }

                chain[top++] = firstActive;
            }

            var a = chain[top - 1];
            var previous = top >= 2 ? chain[top - 2] : -1;
            // Nearest active neighbour of a; ties go to the previous chain element, which is what
            // guarantees the chain ends in a reciprocal pair instead of cycling.
            var nearest = previous;
            var nearestDistance = previous >= 0 ? distances[Condensed(a, previous, n)] : float.PositiveInfinity;
            for (var b = 0; b < n; b++)
            {
                if (b == a || !active[b])
                {
                    continue;
                }

                var d = distances[Condensed(a, b, n)];
                if (d < nearestDistance)
                {
                    nearestDistance = d;
                    nearest = b;
                }
            }

            if (nearest != previous)
            {
                chain[top++] = nearest;
                continue;
            }

            top -= 2;
            var keep = Math.Min(a, previous);
            var drop = Math.Max(a, previous);
            var sizeKeep = size[keep];
            var sizeDrop = size[drop];
            var total = sizeKeep + sizeDrop;
            for (var c = 0; c < n; c++)
            {
                if (!active[c] || c == keep || c == drop)
                {
                    continue;
                }

                // Lance–Williams for average linkage: size-weighted mean of the two distances.
                var ik = Condensed(keep, c, n);
                distances[ik] = ((sizeKeep * distances[ik]) + (sizeDrop * distances[Condensed(drop, c, n)])) / total;
            }

            active[drop] = false;
            size[keep] = total;
            remaining--;
            merges.Add(new DendrogramMerge(keep, drop, nearestDistance, total));
        }

        // The chain finds merges out of height order; average linkage is monotone, so sorting by
        // height (stable, to keep dependent merges of equal height in discovery order) gives the dendrogram.
        var ordered = merges.ToArray();
        var keys = new double[ordered.Length];
        var positions = new int[ordered.Length];
        for (var i = 0; i < ordered.Length; i++)
        {
            keys[i] = ordered[i].Height;
            positions[i] = i;
        }

        Array.Sort(positions, (x, y) =>
        {
            var c = keys[x].CompareTo(keys[y]);
            return c != 0 ? c : x.CompareTo(y);
        });
        var sorted = new DendrogramMerge[ordered.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            sorted[i] = ordered[positions[i]];
        }

        return sorted;
    }

    private int[] Cut(DendrogramMerge[] merges, int n, out int clusterCount)
    {
        var target = Math.Min(_options.ClusterCount ?? 1, n);
        var threshold = _options.DistanceThreshold ?? double.PositiveInfinity;
        var parent = new int[n];
        for (var i = 0; i < n; i++)
        {
            parent[i] = i;
        }

        var clusters = n;
        foreach (var m in merges)
        {
            if (clusters <= target || m.Height > threshold)
            {
                break;
            }

            var ra = Find(parent, m.Left);
            var rb = Find(parent, m.Right);
            if (ra != rb)
            {
                parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
                clusters--;
            }
        }

        // Number clusters by their first row, so labels are deterministic.
        var labels = new int[n];
        var ids = new Dictionary<int, int>();
        for (var i = 0; i < n; i++)
        {
            var root = Find(parent, i);
            if (!ids.TryGetValue(root, out var id))
            {
                id = ids.Count;
                ids[root] = id;
            }

            labels[i] = id;
        }

        clusterCount = ids.Count;
        return labels;
    }

    private static int Find(int[] parent, int x)
    {
        while (parent[x] != x)
        {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }

        return x;
    }

    private static float[] CosineDistances(FeatureMatrix rows)
    {
        var n = rows.Rows;
        var d = rows.Columns;
        var unit = new float[rows.Values.Length];
        for (var i = 0; i < n; i++)
        {
            var norm = TensorPrimitives.Norm(rows.ReadRow(i));
            if (norm > 0)
            {
                TensorPrimitives.Divide(rows.ReadRow(i), norm, unit.AsSpan(i * d, d));
            }
        }

        var distances = new float[(long)n * (n - 1) / 2];
        var k = 0;
        for (var i = 0; i < n; i++)
        {
            var ri = new ReadOnlySpan<float>(unit, i * d, d);
            for (var j = i + 1; j < n; j++)
            {
                distances[k++] = 1 - TensorPrimitives.Dot(ri, new ReadOnlySpan<float>(unit, j * d, d));
            }
        }

        return distances;
    }

    // Position of pair (i, j), i ≠ j, in the row-wise upper triangle without the diagonal.
    private static int Condensed(int i, int j, int n)
    {
        if (i > j)
        {
            (i, j) = (j, i);
        }

        return (i * n) - (i * (i + 1) / 2) + (j - i - 1);
    }
}
