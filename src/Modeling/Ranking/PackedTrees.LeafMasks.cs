using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cohortly.Modeling.Ranking;

internal sealed partial class PackedTrees
{
    /// <summary>
    /// Batch scoring without walking (QuickScorer, Lucchese et al., SIGIR 2015): number a tree's leaves left to right
    /// and start a row with every leaf possible; each split the row fails (x ≤ threshold is false, so it goes right)
    /// rules out the leaves of its left subtree; the row's leaf is the leftmost one left. Every split of a tree is then
    /// tested for eight rows at once with one vector compare on a feature-major copy of the rows, with no
    /// data-dependent branch and no load that waits on the previous one. Trees of at most 32 leaves (a mask is an
    /// int); an ensemble with a bigger tree is walked instead.
    /// </summary>
    /// <remarks>
    /// Why the leftmost remaining leaf is the walk's leaf: a split on the walk's path that sent the row right removed
    /// only leaves off the path, and one that sent it left removed nothing; every leaf left of the walk's leaf hangs
    /// in the left subtree of a split where the path went right, so it was removed. The score is still built per row,
    /// <c>+= weight × leaf</c> in tree order, in scalar doubles: the same bits as the walk.
    /// </remarks>
    private sealed class LeafMasks
    {
        private const int Width = 8;
        private const int MaxLeaves = 32;

        private readonly int[] _nodeStart; // per tree, and one past the last tree
        private readonly int[] _feature;
        private readonly float[] _threshold;
        private readonly int[] _keepIfRight; // every leaf but the split's left subtree
        private readonly int[] _leafStart; // per tree, into _leaves
        private readonly double[] _leaves; // each tree's leaves, left to right
        private readonly PackedTrees _trees;

        private LeafMasks(PackedTrees trees, int[] nodeStart, int[] feature, float[] threshold, int[] keepIfRight, int[] leafStart, double[] leaves)
        {
            _trees = trees;
            _nodeStart = nodeStart;
            _feature = feature;
            _threshold = threshold;
            _keepIfRight = keepIfRight;
            _leafStart = leafStart;
            _leaves = leaves;
        }

        /// <summary>The masks of a packed ensemble; null when a tree has more than <see cref="MaxLeaves"/> leaves.</summary>
        public static LeafMasks? Build(PackedTrees trees)
        {
            var count = trees._roots.Length;
            var nodeStart = new int[count + 1];
            var leafStart = new int[count];
            var feature = new List<int>();
            var threshold = new List<float>();
            var keep = new List<int>();
            var leaves = new List<double>();
            for (var t = 0; t < count; t++)
            {
                nodeStart[t] = feature.Count;
                leafStart[t] = leaves.Count;
                var (_, leafCount) = Emit(trees, trees._roots[t], leafStart[t], feature, threshold, keep, leaves);
                if (leafCount > MaxLeaves)
                {
                    return null;
                }
            }

            nodeStart[count] = feature.Count;
            return new LeafMasks(trees, nodeStart, [.. feature], [.. threshold], [.. keep], leafStart, [.. leaves]);
        }

        public void PredictAll(ReadOnlySpan<float> rows, int width, Span<double> scores)
        {
            var count = scores.Length;
            var features = _trees.FeatureCount;
            var padded = (count + Width - 1) / Width * Width;
            var columns = ArrayPool<float>.Shared.Rent(Math.Max(1, features * padded));
            try
            {
                // Feature-major, so one split's feature for eight rows is one load; padding rows are zeros and never read back.
                columns.AsSpan(0, features * padded).Clear();
                for (var r = 0; r < count; r++)
                {
                    var row = rows.Slice(r * width, features);
                    for (var f = 0; f < row.Length; f++)
                    {
                        columns[(f * padded) + r] = row[f];
                    }
                }

                scores.Fill(_trees._bias);
                Span<int> lanes = stackalloc int[Width];
                ref var column = ref MemoryMarshal.GetArrayDataReference(columns);
                for (var t = 0; t < _leafStart.Length; t++)
                {
                    var weight = _trees._weights[t];
                    var leaves = _leaves.AsSpan(_leafStart[t]);
                    int first = _nodeStart[t], end = _nodeStart[t + 1];
                    for (var b = 0; b < padded; b += Width)
                    {
                        var mask = Vector256<int>.AllBitsSet;
                        for (var n = first; n < end; n++)
                        {
                            var x = Vector256.LoadUnsafe(ref column, (nuint)((_feature[n] * padded) + b));
                            var left = Vector256.LessThanOrEqual(x, Vector256.Create(_threshold[n])).AsInt32();
                            mask &= left | Vector256.Create(_keepIfRight[n]);
                        }

                        mask.CopyTo(lanes);
                        var rowsHere = Math.Min(Width, count - b);
                        for (var k = 0; k < rowsHere; k++)
                        {
                            scores[b + k] += weight * leaves[BitOperations.TrailingZeroCount(lanes[k])];
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(columns);
            }
        }

        /// <summary>Emits the subtree at packed node <paramref name="node"/>; returns its first leaf (tree-local) and leaf count.</summary>
        private static (int First, int Count) Emit(PackedTrees trees, int node, int treeLeafStart, List<int> feature, List<float> threshold, List<int> keep, List<double> leaves)
        {
            var at = node * NodeInts;
            int right = trees._nodes[at + 2], left = trees._nodes[at + 3];
            if (left == node && right == node)
            {
                leaves.Add(trees._leafValues[node]);
                return (leaves.Count - 1 - treeLeafStart, 1);
            }

            var split = feature.Count;
            feature.Add(trees._nodes[at]);
            threshold.Add(BitConverter.Int32BitsToSingle(trees._nodes[at + 1]));
            keep.Add(0);
            var (first, leftCount) = Emit(trees, left, treeLeafStart, feature, threshold, keep, leaves);
            var (_, rightCount) = Emit(trees, right, treeLeafStart, feature, threshold, keep, leaves);
            keep[split] = ~LeafBits(first, leftCount);
            return (first, leftCount + rightCount);
        }

        /// <summary>Bits first … first + count − 1 (zero past bit 31: such a tree is not scored by masks).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int LeafBits(int first, int count)
        {
            var bits = 0;
            for (var l = first; l < first + count && l < MaxLeaves; l++)
            {
                bits |= 1 << l;
            }

            return bits;
        }
    }
}
