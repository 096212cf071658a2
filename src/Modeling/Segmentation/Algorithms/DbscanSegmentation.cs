using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation.Algorithms;

/// <summary>
/// DBSCAN (<see cref="Dbscan"/>, Euclidean in standardized units) on a seeded sample of at most
/// <paramref name="MaxSampleSize"/> rows: a fit is O(s²·d) in the sample size s. The cluster count is found, not given;
/// the <paramref name="MaxClusters"/> largest dense clusters become cohorts and smaller ones count as noise, so a
/// too-small epsilon cannot flood the cluster with hundreds of cohorts.
/// <para>
/// Noise is served, not dropped: the live path assigns every user to the nearest centroid, so a noise point (in the
/// run or later) belongs to the nearest dense cluster's cohort. The share of noise in the sample is recorded
/// (<see cref="ClusterFit.NoisePoints"/>) and bounded by the quality floor. When no dense cluster is found the fit is
/// a single centroid (the sample mean) with every row noise, which the floor then withholds.
/// </para>
/// </summary>
/// <param name="Epsilon">Neighbourhood radius in standardized units; 0 picks it from the sample (<see cref="AutoEpsilon"/>).</param>
/// <param name="MinPoints">Neighbours (the point included) that make a core point.</param>
public sealed record DbscanSegmentation(double Epsilon = 0, int MinPoints = 10, int MaxSampleSize = 5000, int MaxClusters = 10) : ISegmentationAlgorithm
{
    public const string AlgorithmName = "dbscan";

    /// <summary>Rows the k-distance curve of <see cref="AutoEpsilon"/> is computed on (it costs O(s²·log s)).</summary>
    public const int EpsilonSample = 1000;

    public string Name => AlgorithmName;

    public bool TakesK => false;

    public ClusterFit Fit(FeatureMatrix scaled, int k, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        var random = new Random(seed);
        var sample = ClusterMath.SelectRows(scaled, ClusterMath.SampleIndices(scaled.Rows, MaxSampleSize, random));
        var epsilon = Epsilon > 0 ? Epsilon : AutoEpsilon(sample, MinPoints, random);
        cancellationToken.ThrowIfCancellationRequested();
        var result = new Dbscan(new DbscanOptions(epsilon, MinPoints)).Fit(sample);

        // Keep the largest clusters (ties: the one found first); the rest join the noise.
        var order = new int[result.ClusterCount];
        for (var c = 0; c < order.Length; c++)
        {
            order[c] = c;
        }

        Array.Sort(order, (a, b) => result.Sizes[a] != result.Sizes[b] ? result.Sizes[b].CompareTo(result.Sizes[a]) : a.CompareTo(b));
        var kept = Math.Min(order.Length, MaxClusters);
        var newLabel = new int[result.ClusterCount + 1];
        Array.Fill(newLabel, -1);
        for (var i = 0; i < kept; i++)
        {
            newLabel[order[i]] = i;
        }

        var labels = new int[sample.Rows];
        var noise = 0;
        for (var r = 0; r < labels.Length; r++)
        {
            labels[r] = newLabel[result.Labels[r]];
            noise += labels[r] < 0 ? 1 : 0;
        }

        IReadOnlyList<AlgorithmParameter> parameters =
        [
            AlgorithmParameter.Of("epsilon", epsilon),
            new AlgorithmParameter("epsilonFrom", Epsilon > 0 ? "configured" : "k-distance knee"),
            AlgorithmParameter.Of("minPoints", MinPoints),
            AlgorithmParameter.Of("maxClusters", MaxClusters),
            AlgorithmParameter.Of("sampledRows", sample.Rows),
        ];
        if (kept == 0)
        {
            var mean = ClusterMath.Centroids(sample, new int[sample.Rows], 1, out _);
            return new ClusterFit([mean.ReadRow(0).ToArray()], sample.Rows, sample.Rows) { Parameters = parameters };
        }

        var centroids = ClusterMath.Centroids(sample, labels, kept, out _);
        var list = new float[kept][];
        for (var c = 0; c < kept; c++)
        {
            list[c] = centroids.ReadRow(c).ToArray();
        }

        return new ClusterFit(list, sample.Rows, noise) { Parameters = parameters };
    }

    /// <summary>
    /// The knee of the sorted k-distance curve (k = MinPoints − 1) over a seeded sample of at most
    /// <see cref="EpsilonSample"/> rows: the point farthest from the chord between the curve's ends, the usual reading
    /// of Ester et al.'s heuristic without a person looking at the plot.
    /// </summary>
    public static double AutoEpsilon(FeatureMatrix data, int minPoints, Random random)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        var sample = ClusterMath.SelectRows(data, ClusterMath.SampleIndices(data.Rows, EpsilonSample, random));
        var k = Math.Clamp(minPoints - 1, 1, Math.Max(1, sample.Rows - 1));
        if (sample.Rows < 3)
        {
            return 1.0;
        }

        var curve = Dbscan.KDistances(sample, k); // descending: the few outliers first, then the dense rows
        var n = curve.Length;
        var range = curve[0] - curve[n - 1];
        if (!(range > 0))
        {
            return curve[0] > 0 ? curve[0] : 1.0;
        }

        // On both axes scaled to [0, 1] the chord runs from (0, 1) to (1, 0); the knee lies farthest below it.
        var best = 0;
        var bestGap = double.NegativeInfinity;
        for (var i = 0; i < n; i++)
        {
            var gap = 1 - ((double)i / (n - 1)) - ((curve[i] - curve[n - 1]) / range);
            if (gap > bestGap)
            {
                bestGap = gap;
                best = i;
            }
        }

        return curve[best] > 0 ? curve[best] : 1.0;
    }
}
