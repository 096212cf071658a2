using System.Numerics.Tensors;

namespace Cohortly.Modeling.Segmentation.Clustering;

/// <summary>Settings of <see cref="Dbscan"/>.</summary>
/// <param name="Epsilon">Neighbourhood radius (Euclidean).</param>
/// <param name="MinPoints">Neighbours (the point itself included) that make a point a core point.</param>
public sealed record DbscanOptions(double Epsilon, int MinPoints)
{
    internal void Validate()
    {
        if (!(Epsilon > 0) || double.IsInfinity(Epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "Epsilon must be positive and finite.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MinPoints, nameof(MinPoints));
    }
}

/// <summary>Outcome of <see cref="Dbscan.Fit"/>.</summary>
/// <param name="Labels">Density clusters are 0..ClusterCount−1; outliers all carry <see cref="OutlierLabel"/>.</param>
/// <param name="ClusterCount">Number of density clusters (the outlier group not included).</param>
/// <param name="OutlierLabel">The outliers' group id: ClusterCount, one past the last density cluster.</param>
/// <param name="OutlierCount">Rows that are in no dense region.</param>
/// <param name="Sizes">Rows per label, indexed by label (the last entry is the outlier group).</param>
public sealed record DbscanResult(int[] Labels, int ClusterCount, int OutlierLabel, int OutlierCount, int[] Sizes);

/// <summary>
/// DBSCAN (Ester et al. 1996) with Euclidean distance. Neighbourhoods are found by a linear scan,
/// so a fit costs O(n²·d) time and O(n) memory: intended for a bounded sample, like the
/// agglomerative clustering. Deterministic: rows are visited in order, and a border point
/// reachable from two clusters joins the one that reaches it first.
/// </summary>
public sealed class Dbscan
{
    private const int Unvisited = -2;
    private const int Noise = -1;
    private readonly DbscanOptions _options;

    public Dbscan(DbscanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    public DbscanResult Fit(FeatureMatrix data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var n = data.Rows;
        var labels = new int[n];
        Array.Fill(labels, Unvisited);
        var queued = new bool[n];
        var neighbours = new List<int>();
        var queue = new Queue<int>();
        var eps = (float)_options.Epsilon;
        var clusters = 0;

        for (var p = 0; p < n; p++)
        {
            if (labels[p] != Unvisited)
            {
                continue;
            }

            RegionQuery(data, p, eps, neighbours);
            if (neighbours.Count < _options.MinPoints)
            {
                labels[p] = Noise;
                continue;
            }

            var cluster = clusters++;
            labels[p] = cluster;
            Enqueue(neighbours, labels, queued, queue);
            while (queue.Count > 0)
            {
                var q = queue.Dequeue();
                queued[q] = false;
                if (labels[q] == Noise)
                {
                    // Not a core point (its own query said so): it borders this cluster.
                    labels[q] = cluster;
                    continue;
                }

                if (labels[q] != Unvisited)
                {
                    continue;
                }

                labels[q] = cluster;
                RegionQuery(data, q, eps, neighbours);
                if (neighbours.Count >= _options.MinPoints)
                {
                    Enqueue(neighbours, labels, queued, queue);
                }
            }
        }

        var sizes = new int[clusters + 1];
        var outliers = 0;
        for (var i = 0; i < n; i++)
        {
            if (labels[i] < 0)
            {
                labels[i] = clusters;
                outliers++;
            }

            sizes[labels[i]]++;
        }

        return new DbscanResult(labels, clusters, clusters, outliers, sizes);
    }

    /// <summary>
    /// Distance of every row to its k-th nearest other row, sorted descending: the "knee" of this
    /// curve is the usual choice of <see cref="DbscanOptions.Epsilon"/> for MinPoints = k + 1.
    /// </summary>
    public static double[] KDistances(FeatureMatrix data, int k)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, data.Rows);
        var result = new double[data.Rows];
        var distances = new float[data.Rows - 1];
        for (var i = 0; i < data.Rows; i++)
        {
            var m = 0;
            for (var j = 0; j < data.Rows; j++)
            {
                if (j != i)
                {
                    distances[m++] = TensorPrimitives.Distance(data.ReadRow(i), data.ReadRow(j));
                }
            }

            Array.Sort(distances);
            result[i] = distances[k - 1];
        }

        Array.Sort(result);
        Array.Reverse(result);
        return result;
    }

    private static void RegionQuery(FeatureMatrix data, int p, float eps, List<int> result)
    {
        result.Clear();
        var row = data.ReadRow(p);
        for (var q = 0; q < data.Rows; q++)
        {
            if (TensorPrimitives.Distance(row, data.ReadRow(q)) <= eps)
            {
                result.Add(q);
            }
        }
    }

    private static void Enqueue(List<int> neighbours, int[] labels, bool[] queued, Queue<int> queue)
    {
        foreach (var q in neighbours)
        {
            if (!queued[q] && labels[q] is Unvisited or Noise)
            {
                queued[q] = true;
                queue.Enqueue(q);
            }
        }
    }
}
