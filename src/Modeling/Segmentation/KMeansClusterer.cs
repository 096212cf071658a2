using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Cohortly.Modeling.Segmentation;

/// <summary>Result of one clustering: centroids (in the space of the input) and per-row assignments.</summary>
public sealed record ClusteringResult(float[][] Centroids, int[] Assignments, double Inertia);

/// <summary>
/// K-Means through ML.NET (k-means++ initialisation). ML.NET runs several restarts only through
/// separate fits, so we fit <c>restarts</c> times with derived seeds and keep the lowest inertia.
/// </summary>
public static class KMeansClusterer
{
    public static ClusteringResult Fit(FeatureMatrix data, int k, int seed, int restarts = 3, int maxIterations = 100)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(restarts, 1);
        if (data.Rows < k)
        {
            throw new ArgumentException($"need at least k={k} rows, got {data.Rows}", nameof(data));
        }

        ClusteringResult? best = null;
        for (var r = 0; r < restarts; r++)
        {
            var result = FitOnce(data, k, unchecked(seed + (r * 7919)), maxIterations);
            if (best is null || result.Inertia < best.Inertia)
            {
                best = result;
            }
        }

        return best!;
    }

    private static ClusteringResult FitOnce(FeatureMatrix data, int k, int seed, int maxIterations)
    {
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Columns);
        var view = ml.Data.LoadFromEnumerable(Rows(data), schema);
        var trainer = ml.Clustering.Trainers.KMeans(new KMeansTrainer.Options
        {
            FeatureColumnName = nameof(Row.Features),
            NumberOfClusters = k,
            InitializationAlgorithm = KMeansTrainer.InitializationAlgorithm.KMeansPlusPlus,
            MaximumNumberOfIterations = maxIterations,
        });
        var model = trainer.Fit(view);
        VBuffer<float>[] buffers = [];
        model.Model.GetClusterCentroids(ref buffers, out var count);
        var centroids = new float[count][];
        for (var c = 0; c < count; c++)
        {
            centroids[c] = new float[data.Columns];
            buffers[c].CopyTo(centroids[c]);
        }

        var assignments = new int[data.Rows];
        var inertia = AssignAll(data, centroids, assignments);
        return new ClusteringResult(centroids, assignments, inertia);
    }

    /// <summary>Nearest-centroid assignment of every row; returns the sum of squared distances.</summary>
    public static double AssignAll(FeatureMatrix data, IReadOnlyList<float[]> centroids, int[] assignments)
    {
        var inertia = 0.0;
        for (var r = 0; r < data.Rows; r++)
        {
            var row = data.ReadRow(r);
            var best = 0;
            var bestDistance = float.PositiveInfinity;
            for (var c = 0; c < centroids.Count; c++)
            {
                var d = TensorPrimitives.Distance(row, centroids[c]);
                if (d < bestDistance)
                {
                    bestDistance = d;
                    best = c;
                }
            }

            assignments[r] = best;
            inertia += (double)bestDistance * bestDistance;
        }

        return inertia;
    }

    private static IEnumerable<Row> Rows(FeatureMatrix data)
    {
        for (var r = 0; r < data.Rows; r++)
        {
            yield return new Row { Features = data.ReadRow(r).ToArray() };
        }
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
    }
}
