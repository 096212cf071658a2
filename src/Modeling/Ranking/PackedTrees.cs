using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cohortly.Modeling.Ranking;

/// <summary>
/// The scoring layout of a <see cref="TreeEnsemble"/>, built when the ensemble is created or read (the serialized
/// format is the per-tree arrays and does not change): every tree's nodes in one contiguous array of four ints
/// (feature, threshold bits, right child, left child), and every leaf turned into a node whose two children are
/// itself. A step picks the child by indexing with the comparison's result rather than branching on it (a split's
/// direction is data-dependent, so a branch mispredicts about every other step), and each tree is walked exactly its
/// depth in steps with no test for "reached a leaf" (a shallow leaf just stays put), so several rows walk one tree in
/// lock-step: independent chains the processor overlaps, with the loop count as the only branch. A batch of rows
/// (the ranker's pool) is scored by leaf masks where the vector unit allows (<see cref="LeafMasks"/>), which tests
/// every split for eight rows at once instead of walking.
/// </summary>
/// <remarks>
/// The arithmetic is the per-tree walk's: a row's score is <c>bias</c>, then <c>+= weight × leaf</c> in tree order,
/// the same doubles in the same order, so the scores are the same bits (<c>PackedTreesTests</c>). A split sends a row
/// left when <c>x ≤ threshold</c> and right otherwise (NaN goes right), as ML.NET's trees do.
/// </remarks>
internal sealed partial class PackedTrees
{
    /// <summary>Rows walked together through one tree: independent chains that cover the load-compare-select latency.</summary>
    private const int Lanes = 8;

    private const int NodeInts = 4;

    private readonly int[] _nodes; // NodeInts per node, validated by Pack: children and features in range
    private readonly double[] _leafValues; // per node; meaningful where the node is a leaf
    private readonly int[] _roots;
    private readonly int[] _depths;
    private readonly double[] _weights;
    private readonly double _bias;
    private readonly LeafMasks? _masks;

    private PackedTrees(int[] nodes, double[] leafValues, int[] roots, int[] depths, double[] weights, double bias, int featureCount)
    {
        _nodes = nodes;
        _leafValues = leafValues;
        _roots = roots;
        _depths = depths;
        _weights = weights;
        _bias = bias;
        FeatureCount = featureCount;
        _masks = LeafMasks.Build(this);
    }

    public int FeatureCount { get; }

    /// <summary>
    /// Packs trees given as ML.NET's arrays (internal node n splits on <c>feature[n]</c> at <c>threshold[n]</c>; a child
    /// c ≥ 0 is a node, c &lt; 0 is leaf ~c; a tree without nodes is its leaf 0). Only what the root reaches is packed;
    /// a child or feature out of range, a cycle or a tree without leaves is <see cref="InvalidDataException"/>.
    /// </summary>
    public static PackedTrees Pack(IReadOnlyList<TreeArrays> trees, double bias, int featureCount)
    {
        var nodes = new List<int>();
        var leafValues = new List<double>();
        var roots = new int[trees.Count];
        var depths = new int[trees.Count];
        var weights = new double[trees.Count];
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            weights[t] = tree.Weight;
            if (tree.Leaves.Length == 0)
            {
                throw new InvalidDataException($"tree {t} has no leaves");
            }

            if (tree.Left.Length == 0)
            {
                roots[t] = AddLeaf(nodes, leafValues, tree.Leaves[0]);
                continue;
            }

            roots[t] = nodes.Count / NodeInts;
            depths[t] = Add(tree, 0, 0, featureCount, nodes, leafValues, t);
        }

        return new PackedTrees([.. nodes], [.. leafValues], roots, depths, weights, bias, featureCount);
    }

    public double Predict(ReadOnlySpan<float> features)
    {
        var sum = _bias;
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        for (var t = 0; t < _roots.Length; t++)
        {
            var node = _roots[t];
            for (var d = _depths[t]; d > 0; d--)
            {
                node = Step(ref nodes, node, features, 0);
            }

            sum += _weights[t] * _leafValues[node];
        }

        return sum;
    }

    /// <summary>Weighted output of tree <paramref name="tree"/> alone.</summary>
    public double TreeOutput(int tree, ReadOnlySpan<float> features)
    {
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        var node = _roots[tree];
        for (var d = _depths[tree]; d > 0; d--)
        {
            node = Step(ref nodes, node, features, 0);
        }

        return _weights[tree] * _leafValues[node];
    }

    /// <summary>
    /// Scores every row of <paramref name="rows"/> (row r at <c>r × width</c>) into <paramref name="scores"/>, tree by
    /// tree: each row's sum is built in tree order exactly as <see cref="Predict"/> builds it.
    /// </summary>
    public void PredictAll(ReadOnlySpan<float> rows, int width, Span<double> scores) => PredictAll(rows, width, scores, leafMasks: true);

    /// <param name="leafMasks">False: walk the trees even where the leaf masks could score them (tests cover both paths).</param>
    internal void PredictAll(ReadOnlySpan<float> rows, int width, Span<double> scores, bool leafMasks)
    {
        var count = scores.Length;
        if (width < FeatureCount || rows.Length < count * width)
        {
            throw new ArgumentException("every row needs at least the ensemble's features", nameof(width));
        }

        if (leafMasks && _masks is { } masks && Vector256.IsHardwareAccelerated)
        {
            masks.PredictAll(rows, width, scores);
            return;
        }

        scores.Fill(_bias);
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var x = ref MemoryMarshal.GetReference(rows); // in range: checked above, and Pack checked every feature
        for (var t = 0; t < _roots.Length; t++)
        {
            var root = _roots[t];
            var depth = _depths[t];
            var weight = _weights[t];
            var r = 0;
            for (; r + Lanes <= count; r += Lanes)
            {
                int o0 = r * width, o1 = o0 + width, o2 = o1 + width, o3 = o2 + width, o4 = o3 + width, o5 = o4 + width, o6 = o5 + width, o7 = o6 + width;
                int n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root;
                for (var d = depth; d > 0; d--)
                {
                    n0 = Step(ref nodes, n0, ref x, o0);
                    n1 = Step(ref nodes, n1, ref x, o1);
                    n2 = Step(ref nodes, n2, ref x, o2);
                    n3 = Step(ref nodes, n3, ref x, o3);
                    n4 = Step(ref nodes, n4, ref x, o4);
                    n5 = Step(ref nodes, n5, ref x, o5);
                    n6 = Step(ref nodes, n6, ref x, o6);
                    n7 = Step(ref nodes, n7, ref x, o7);
                }

                scores[r] += weight * _leafValues[n0];
                scores[r + 1] += weight * _leafValues[n1];
                scores[r + 2] += weight * _leafValues[n2];
                scores[r + 3] += weight * _leafValues[n3];
                scores[r + 4] += weight * _leafValues[n4];
                scores[r + 5] += weight * _leafValues[n5];
                scores[r + 6] += weight * _leafValues[n6];
                scores[r + 7] += weight * _leafValues[n7];
            }

            for (; r < count; r++)
            {
                var n = root;
                var o = r * width;
                for (var d = depth; d > 0; d--)
                {
                    n = Step(ref nodes, n, ref x, o);
                }

                scores[r] += weight * _leafValues[n];
            }
        }
    }

    /// <summary>
    /// One split: left (the fourth int) when <c>x ≤ threshold</c>, else right (the third); NaN goes right. Pack
    /// checked every child and feature, so only the row is bounds-checked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref int nodes, int node, ReadOnlySpan<float> rows, int offset)
    {
        ref var n = ref Unsafe.Add(ref nodes, node * NodeInts);
        var left = rows[offset + n] <= BitConverter.Int32BitsToSingle(Unsafe.Add(ref n, 1));
        return Unsafe.Add(ref n, 2 + Unsafe.BitCast<bool, byte>(left));
    }

    /// <summary>As the span step, for <see cref="PredictAll"/>, which checked the rows' extent once for the whole batch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref int nodes, int node, ref float rows, int offset)
    {
        ref var n = ref Unsafe.Add(ref nodes, node * NodeInts);
        var left = Unsafe.Add(ref rows, offset + n) <= BitConverter.Int32BitsToSingle(Unsafe.Add(ref n, 1));
        return Unsafe.Add(ref n, 2 + Unsafe.BitCast<bool, byte>(left));
    }

    private static int AddLeaf(List<int> nodes, List<double> leafValues, double value)
    {
        var self = nodes.Count / NodeInts;
        nodes.AddRange([0, 0, self, self]);
        leafValues.Add(value);
        return self;
    }

    /// <summary>Packs the subtree at <paramref name="node"/> (depth <paramref name="level"/>); returns its deepest leaf's depth.</summary>
    private static int Add(TreeArrays tree, int node, int level, int featureCount, List<int> nodes, List<double> leafValues, int t)
    {
        if (level >= tree.Left.Length)
        {
            throw new InvalidDataException($"tree {t} has a cycle");
        }

        if ((uint)node >= (uint)tree.Left.Length || node >= tree.Right.Length || node >= tree.Feature.Length || node >= tree.Threshold.Length)
        {
            throw new InvalidDataException($"tree {t} has a child out of range");
        }

        var feature = tree.Feature[node];
        if ((uint)feature >= (uint)featureCount)
        {
            throw new InvalidDataException($"tree {t} splits on feature {feature} of {featureCount}");
        }

        var at = nodes.Count;
        nodes.AddRange([feature, BitConverter.SingleToInt32Bits(tree.Threshold[node]), 0, 0]);
        leafValues.Add(0);
        var (left, leftDepth) = Child(tree, tree.Left[node], level, featureCount, nodes, leafValues, t);
        var (right, rightDepth) = Child(tree, tree.Right[node], level, featureCount, nodes, leafValues, t);
        nodes[at + 2] = right;
        nodes[at + 3] = left;
        return Math.Max(leftDepth, rightDepth);
    }

    private static (int Index, int Depth) Child(TreeArrays tree, int child, int level, int featureCount, List<int> nodes, List<double> leafValues, int t)
    {
        if (child >= 0)
        {
            var index = nodes.Count / NodeInts;
            return (index, Add(tree, child, level + 1, featureCount, nodes, leafValues, t));
        }

        if ((uint)~child >= (uint)tree.Leaves.Length)
        {
            throw new InvalidDataException($"tree {t} has a leaf out of range");
        }

        return (AddLeaf(nodes, leafValues, tree.Leaves[~child]), level + 1);
    }

    /// <summary>One tree in ML.NET's layout (what <see cref="TreeEnsemble"/> keeps and serialises).</summary>
    internal readonly record struct TreeArrays(int[] Left, int[] Right, int[] Feature, float[] Threshold, double[] Leaves, double Weight);
}
