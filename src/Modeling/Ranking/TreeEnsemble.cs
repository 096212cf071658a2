using Cohortly.Modeling.Data;
using Cohortly.Modeling.Segmentation;
using Microsoft.ML.Trainers.FastTree;

namespace Cohortly.Modeling.Ranking;

/// <summary>
/// A boosted tree ensemble copied out of ML.NET (LightGBM through ML.NET) into plain arrays: scoring is allocation-free
/// and thread-safe, the model serialises with the other artifacts, and per-prediction feature contributions follow the
/// decision path (each split is credited with the change in the expected output it causes; the expected output of a
/// node is the mean over the training rows that reach it). Contributions plus <see cref="ExpectedValue"/> sum to the
/// prediction. Scoring walks a packed copy of the trees (<see cref="PackedTrees"/>, built here; the serialized format
/// keeps the per-tree arrays), with the same arithmetic as a walk of the per-tree arrays.
/// </summary>
public sealed class TreeEnsemble
{
    private const int FormatVersion = 1;
    private readonly Tree[] _trees;
    private readonly PackedTrees _packed;

    private TreeEnsemble(Tree[] trees, double bias, int featureCount)
    {
        _trees = trees;
        Bias = bias;
        FeatureCount = featureCount;
        var arrays = new PackedTrees.TreeArrays[trees.Length];
        for (var t = 0; t < trees.Length; t++)
        {
            var tree = trees[t];
            arrays[t] = new PackedTrees.TreeArrays(tree.Left, tree.Right, tree.Feature, tree.Threshold, tree.Leaves, tree.Weight);
        }

        _packed = PackedTrees.Pack(arrays, bias, featureCount);
    }

    public int FeatureCount { get; }

    public int TreeCount => _trees.Length;

    public double Bias { get; }

    /// <summary>The ensemble's output for an "average" row (sum of the trees' root expectations plus the bias).</summary>
    public double ExpectedValue
    {
        get
        {
            var v = Bias;
            foreach (var t in _trees)
            {
                v += t.Weight * t.NodeValues[0];
            }

            return v;
        }
    }

    public static TreeEnsemble FromMlNet(TreeEnsemble<RegressionTree> ensemble, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var trees = new Tree[ensemble.Trees.Count];
        for (var t = 0; t < trees.Length; t++)
        {
            var tree = ensemble.Trees[t];
            foreach (var categorical in tree.CategoricalSplitFlags)
            {
                if (categorical)
                {
                    throw new NotSupportedException("categorical splits are not supported; train with UseCategoricalSplit = false");
                }
            }

            var leaves = new double[tree.LeafValues.Count];
            for (var l = 0; l < leaves.Length; l++)
            {
                leaves[l] = tree.LeafValues[l];
            }

            var gains = new double[tree.SplitGains.Count];
            for (var n = 0; n < gains.Length; n++)
            {
                gains[n] = tree.SplitGains[n];
            }

            trees[t] = new Tree(
                [.. tree.LeftChild],
                [.. tree.RightChild],
                [.. tree.NumericalSplitFeatureIndexes],
                [.. tree.NumericalSplitThresholds],
                leaves,
                gains,
                new double[Math.Max(1, tree.NumberOfNodes)],
                ensemble.TreeWeights[t]);
        }

        var result = new TreeEnsemble(trees, ensemble.Bias, featureCount);
        foreach (var t in trees)
        {
            t.UniformNodeValues();
        }

        return result;
    }

    /// <summary>The first <paramref name="trees"/> trees (boosting is additive, so a prefix is the model at that round).</summary>
    public TreeEnsemble Truncate(int trees)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trees);
        return trees >= _trees.Length ? this : new TreeEnsemble(_trees[..trees], Bias, FeatureCount);
    }

    /// <summary>Output of tree <paramref name="tree"/> alone (weighted), for round-by-round evaluation.</summary>
    public double TreeOutput(int tree, ReadOnlySpan<float> features) => _packed.TreeOutput(tree, features);

    public double Predict(ReadOnlySpan<float> features) => _packed.Predict(features);

    /// <summary>
    /// <see cref="Predict"/> of every row of <paramref name="rows"/> (row r at <c>r × width</c>, <paramref name="scores"/>.Length
    /// rows) into <paramref name="scores"/>, tree by tree so each tree is walked by several rows at once; the same
    /// doubles as row-by-row prediction.
    /// </summary>
    public void PredictAll(ReadOnlySpan<float> rows, int width, Span<double> scores) => _packed.PredictAll(rows, width, scores);

    /// <param name="leafMasks">False: walk the trees even where leaf masks could score them (tests cover both paths).</param>
    internal void PredictAll(ReadOnlySpan<float> rows, int width, Span<double> scores, bool leafMasks) => _packed.PredictAll(rows, width, scores, leafMasks);

    /// <summary>The per-tree walk <see cref="Predict"/> replaced, kept as the reference the packed walk is tested against.</summary>
    internal double PredictByTree(ReadOnlySpan<float> features)
    {
        var sum = Bias;
        foreach (var t in _trees)
        {
            sum += t.Weight * t.Leaves[t.LeafOf(features)];
        }

        return sum;
    }

    /// <summary>
    /// Writes each feature's contribution to the prediction into <paramref name="contributions"/> (length
    /// <see cref="FeatureCount"/>) and returns the prediction; prediction = <see cref="ExpectedValue"/> + Σ contributions.
    /// </summary>
    public double Contributions(ReadOnlySpan<float> features, Span<double> contributions)
    {
        contributions[..FeatureCount].Clear();
        var sum = Bias;
        foreach (var t in _trees)
        {
            var node = 0;
            var value = t.NodeValues[0];
            sum += t.Weight * value;
            if (t.Left.Length == 0)
            {
                continue;
            }

            while (node >= 0)
            {
                var f = t.Feature[node];
                var child = features[f] <= t.Threshold[node] ? t.Left[node] : t.Right[node];
                var next = child >= 0 ? t.NodeValues[child] : t.Leaves[~child];
                contributions[f] += t.Weight * (next - value);
                sum += t.Weight * (next - value);
                value = next;
                node = child;
            }
        }

        return sum;
    }

    /// <summary>Total split gain per feature over all trees (LightGBM's "gain" importance).</summary>
    public double[] GainImportance()
    {
        var result = new double[FeatureCount];
        foreach (var t in _trees)
        {
            for (var n = 0; n < t.Feature.Length; n++)
            {
                if (n < t.Gains.Length)
                {
                    result[t.Feature[n]] += t.Gains[n];
                }
            }
        }

        return result;
    }

    /// <summary>Sets every node's expected output from the rows that reach it (the training rows, for contributions).</summary>
    public void CalibrateNodeValues(FeatureMatrix rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var t in _trees)
        {
            t.CalibrateNodeValues(rows);
        }
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(FeatureCount);
        writer.Write(Bias);
        writer.Write(_trees.Length);
        foreach (var t in _trees)
        {
            writer.Write(t.Weight);
            writer.Write(t.Left.Length);
            BinaryArrays.Write(writer, t.Left);
            BinaryArrays.Write(writer, t.Right);
            BinaryArrays.Write(writer, t.Feature);
            BinaryArrays.Write(writer, t.Threshold);
            writer.Write(t.Leaves.Length);
            foreach (var v in t.Leaves)
            {
                writer.Write(v);
            }

            writer.Write(t.NodeValues.Length);
            foreach (var v in t.NodeValues)
            {
                writer.Write(v);
            }

            writer.Write(t.Gains.Length);
            foreach (var v in t.Gains)
            {
                writer.Write(v);
            }
        }
    }

    public static TreeEnsemble Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadInt32() != FormatVersion)
        {
            throw new InvalidDataException("unsupported tree ensemble version");
        }

        var features = reader.ReadInt32();
        var bias = reader.ReadDouble();
        var trees = new Tree[reader.ReadInt32()];
        for (var t = 0; t < trees.Length; t++)
        {
            var weight = reader.ReadDouble();
            var nodes = reader.ReadInt32();
            var left = BinaryArrays.ReadInt32(reader, nodes);
            var right = BinaryArrays.ReadInt32(reader, nodes);
            var feature = BinaryArrays.ReadInt32(reader, nodes);
            var threshold = BinaryArrays.ReadSingle(reader, nodes);
            var leaves = ReadDoubles(reader);
            var values = ReadDoubles(reader);
            var gains = ReadDoubles(reader);
            trees[t] = new Tree(left, right, feature, threshold, leaves, gains, values, weight);
        }

        return new TreeEnsemble(trees, bias, features);
    }

    private static double[] ReadDoubles(BinaryReader reader)
    {
        var n = reader.ReadInt32();
        if (n < 0)
        {
            throw new InvalidDataException("corrupt tree ensemble");
        }

        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = reader.ReadDouble();
        }

        return result;
    }

    private sealed class Tree(int[] left, int[] right, int[] feature, float[] threshold, double[] leaves, double[] gains, double[] nodeValues, double weight)
    {
        public int[] Left { get; } = left;

        public int[] Right { get; } = right;

        public int[] Feature { get; } = feature;

        public float[] Threshold { get; } = threshold;

        public double[] Leaves { get; } = leaves;

        public double[] Gains { get; } = gains;

        /// <summary>Expected output per internal node (index 0 = root; a single-leaf tree keeps its leaf here).</summary>
        public double[] NodeValues { get; } = nodeValues;

        public double Weight { get; } = weight;

        public int LeafOf(ReadOnlySpan<float> x)
        {
            if (Left.Length == 0)
            {
                return 0;
            }

            var node = 0;
            while (node >= 0)
            {
                node = x[Feature[node]] <= Threshold[node] ? Left[node] : Right[node];
            }

            return ~node;
        }

        /// <summary>Before calibration: each node's value is the plain mean of the leaves below it.</summary>
        public void UniformNodeValues()
        {
            if (Left.Length == 0)
            {
                NodeValues[0] = Leaves.Length > 0 ? Leaves[0] : 0;
                return;
            }

            var counts = new double[Left.Length];
            var leafCounts = new double[Leaves.Length];
            Array.Fill(leafCounts, 1);
            Fill(counts, leafCounts);
        }

        public void CalibrateNodeValues(FeatureMatrix rows)
        {
            if (Left.Length == 0)
            {
                return;
            }

            var leafCounts = new double[Leaves.Length];
            for (var r = 0; r < rows.Rows; r++)
            {
                leafCounts[LeafOf(rows.ReadRow(r))]++;
            }

            // A leaf no training row reached still needs a defined weight so its parents' values stay finite.
            for (var l = 0; l < leafCounts.Length; l++)
            {
                leafCounts[l] = Math.Max(leafCounts[l], 1e-9);
            }

            Fill(new double[Left.Length], leafCounts);
        }

        private void Fill(double[] counts, double[] leafCounts) => Visit(0, counts, leafCounts);

        private (double Count, double Value) Visit(int node, double[] counts, double[] leafCounts)
        {
            if (node < 0)
            {
                return (leafCounts[~node], Leaves[~node]);
            }

            var (lc, lv) = Visit(Left[node], counts, leafCounts);
            var (rc, rv) = Visit(Right[node], counts, leafCounts);
            counts[node] = lc + rc;
            NodeValues[node] = ((lc * lv) + (rc * rv)) / (lc + rc);
            return (counts[node], NodeValues[node]);
        }
    }
}
