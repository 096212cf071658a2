using Cohortly.Modeling.Data;
using Cohortly.Modeling.Ranking;

namespace Cohortly.Modeling.Tests.Ranking;

/// <summary>
/// The packed scoring layout against a plain walk of the serialized per-tree arrays: the same doubles, bit for bit,
/// on seeded random ensembles shaped as LightGBM grows them (leaf-wise, so deep and shallow leaves mix), with
/// single-leaf trees, thresholds at ±∞ and ±0, feature values equal to thresholds, and NaN features.
/// </summary>
public sealed class PackedTreesTests
{
    private static readonly float[] EdgeValues = [0f, -0f, 0.5f, -0.5f, 1f, float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity];

    [Fact]
    public void Packed_scores_equal_the_per_tree_walk_bit_for_bit_on_random_ensembles()
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            // Every fifth ensemble may grow a tree past the 32 leaves leaf masks take, so it is walked instead.
            var spec = RandomEnsemble(random, features: 1 + random.Next(12), trees: random.Next(0, 40), maxLeaves: 1 + random.Next(seed % 5 == 0 ? 40 : 16));
            var ensemble = spec.Read();
            var width = spec.Features + random.Next(3);
            var count = random.Next(0, 23);
            var rows = RandomRows(random, count, width, spec.Features);
            var batch = new double[count];
            var walked = new double[count];

            ensemble.PredictAll(rows, width, batch);
            ensemble.PredictAll(rows, width, walked, leafMasks: false);

            for (var r = 0; r < count; r++)
            {
                var row = rows.AsSpan(r * width, width);
                var expected = spec.Walk(row);
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(ensemble.Predict(row)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(ensemble.PredictByTree(row)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(batch[r]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(walked[r]));
                for (var t = 0; t < spec.Trees.Count; t++)
                {
                    Assert.Equal(BitConverter.DoubleToInt64Bits(spec.TreeOutput(t, row)), BitConverter.DoubleToInt64Bits(ensemble.TreeOutput(t, row)));
                }
            }
        }
    }

    [Fact]
    public void A_truncated_ensemble_scores_its_first_trees_bit_for_bit()
    {
        var random = new Random(11);
        var spec = RandomEnsemble(random, features: 6, trees: 30, maxLeaves: 9);
        var rows = RandomRows(random, 13, 6, 6);
        var truncated = spec.Read().Truncate(12);
        var first = spec with { Trees = spec.Trees.Take(12).ToList() };
        var batch = new double[13];

        truncated.PredictAll(rows, 6, batch);

        for (var r = 0; r < 13; r++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(first.Walk(rows.AsSpan(r * 6, 6))), BitConverter.DoubleToInt64Bits(batch[r]));
        }
    }

    [Fact]
    public void The_serialized_format_is_unchanged_by_the_packed_layout()
    {
        var spec = RandomEnsemble(new Random(5), features: 4, trees: 7, maxLeaves: 7);
        var bytes = spec.Bytes();
        var ensemble = TreeEnsemble.Read(new BinaryReader(new MemoryStream(bytes)));
        using var written = new MemoryStream();
        using (var writer = new BinaryWriter(written, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            ensemble.Write(writer);
        }

        Assert.Equal(bytes, written.ToArray());
    }

    [Fact]
    public void Scoring_a_batch_rejects_rows_narrower_than_the_ensembles_features()
    {
        var ensemble = RandomEnsemble(new Random(3), features: 5, trees: 3, maxLeaves: 4).Read();

        Assert.Throws<ArgumentException>(() => ensemble.PredictAll(new float[20], 4, new double[5]));
        Assert.Throws<ArgumentException>(() => ensemble.PredictAll(new float[9], 5, new double[2]));
    }

    [Theory]
    [InlineData("child")]
    [InlineData("leaf")]
    [InlineData("feature")]
    [InlineData("cycle")]
    [InlineData("no leaves")]
    public void A_malformed_tree_is_refused_when_read(string defect)
    {
        // One split on feature 0: left is node 1 (split on feature 1 into leaves 0 and 1), right is leaf 2.
        var tree = new TreeSpec([1, ~0], [~2, ~1], [0, 1], [0.5f, 0.5f], [1, 2, 3], 1);
        tree = defect switch
        {
            "child" => tree with { Left = [7, ~0] },
            "leaf" => tree with { Right = [~9, ~1] },
            "feature" => tree with { Feature = [0, 2] },
            "cycle" => tree with { Left = [1, 0] },
            _ => new TreeSpec([], [], [], [], [], 1),
        };
        var spec = new EnsembleSpec(2, 0.25, [tree]);

        Assert.Throws<InvalidDataException>(() => spec.Read());
    }

    /// <summary>Trees grown leaf-wise as LightGBM grows them: each split turns a randomly chosen leaf into a node.</summary>
    private static EnsembleSpec RandomEnsemble(Random random, int features, int trees, int maxLeaves)
    {
        var list = new List<TreeSpec>(trees);
        for (var t = 0; t < trees; t++)
        {
            var leaves = random.Next(4) == 0 ? 1 : 1 + random.Next(maxLeaves);
            var splits = leaves - 1;
            int[] left = new int[splits], right = new int[splits], feature = new int[splits];
            var threshold = new float[splits];
            var open = new List<(int Parent, bool Left)> { (-1, true) };
            for (var k = 0; k < splits; k++)
            {
                var pick = random.Next(open.Count);
                var (parent, isLeft) = open[pick];
                open.RemoveAt(pick);
                if (parent >= 0)
                {
                    (isLeft ? left : right)[parent] = k;
                }

                feature[k] = random.Next(features);
                threshold[k] = random.Next(3) == 0 ? EdgeValues[random.Next(EdgeValues.Length)] : (random.NextSingle() * 2) - 1;
                open.Add((k, true));
                open.Add((k, false));
            }

            for (var l = 0; l < open.Count && splits > 0; l++)
            {
                var (parent, isLeft) = open[l];
                (isLeft ? left : right)[parent] = ~l;
            }

            var values = new double[leaves];
            for (var l = 0; l < leaves; l++)
            {
                values[l] = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4));
            }

            list.Add(new TreeSpec(left, right, feature, threshold, values, (random.NextDouble() * 2) - 0.5));
        }

        return new EnsembleSpec(features, random.NextDouble() - 0.5, list);
    }

    /// <summary>Rows mixing random values, the edge values the thresholds use (so some rows sit exactly on a split) and NaN.</summary>
    private static float[] RandomRows(Random random, int count, int width, int features)
    {
        var rows = new float[count * width];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = random.Next(10) switch
            {
                0 or 1 => EdgeValues[random.Next(EdgeValues.Length)],
                2 => float.NaN,
                _ => (random.NextSingle() * 2) - 1,
            };
        }

        Assert.True(width >= features);
        return rows;
    }

    private sealed record TreeSpec(int[] Left, int[] Right, int[] Feature, float[] Threshold, double[] Leaves, double Weight)
    {
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
    }

    private sealed record EnsembleSpec(int Features, double Bias, List<TreeSpec> Trees)
    {
        /// <summary>The scoring the packed layout replaced: bias, then += weight × leaf, tree by tree.</summary>
        public double Walk(ReadOnlySpan<float> x)
        {
            var sum = Bias;
            foreach (var t in Trees)
            {
                sum += t.Weight * t.Leaves[t.LeafOf(x)];
            }

            return sum;
        }

        public double TreeOutput(int tree, ReadOnlySpan<float> x) => Trees[tree].Weight * Trees[tree].Leaves[Trees[tree].LeafOf(x)];

        /// <summary>TreeEnsemble's serialized form (format 1), written independently of the class.</summary>
        public byte[] Bytes()
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(1);
                writer.Write(Features);
                writer.Write(Bias);
                writer.Write(Trees.Count);
                foreach (var t in Trees)
                {
                    writer.Write(t.Weight);
                    writer.Write(t.Left.Length);
                    BinaryArrays.Write(writer, t.Left);
                    BinaryArrays.Write(writer, t.Right);
                    BinaryArrays.Write(writer, t.Feature);
                    BinaryArrays.Write(writer, t.Threshold);
                    WriteDoubles(writer, t.Leaves);
                    WriteDoubles(writer, [.. t.Leaves.Take(Math.Max(1, t.Left.Length))]);
                    WriteDoubles(writer, new double[t.Left.Length]);
                }
            }

            return stream.ToArray();
        }

        public TreeEnsemble Read() => TreeEnsemble.Read(new BinaryReader(new MemoryStream(Bytes())));

        private static void WriteDoubles(BinaryWriter writer, double[] values)
        {
            writer.Write(values.Length);
            foreach (var v in values)
            {
                writer.Write(v);
            }
        }
    }
}
