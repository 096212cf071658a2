using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

/// <summary>The serving hot loops (packed matrix × vector, vectorized top-k scan) against their plain definitions.</summary>
public sealed class ScoringKernelTests
{
    [Theory]
    [InlineData(1, 64)]
    [InlineData(15, 64)]
    [InlineData(16, 8)]
    [InlineData(37, 32)]
    [InlineData(1000, 64)]
    [InlineData(64 * 5 + 3, 64)]
    public void Packed_multiply_gives_each_row_the_fused_chain_of_its_codes_in_order_times_its_scale(int count, int dimension)
    {
        var (rows, vector) = RandomRows(count, dimension, count + dimension);
        var packed = MatrixVector.Pack(rows, count, dimension);

        // One slot past the rows: the padded tail panel must not write beyond count.
        var result = new float[count + 1];
        result[count] = 42f;
        MatrixVector.Multiply(packed, vector, result);

        for (var i = 0; i < count; i++)
        {
            var expected = 0f;
            for (var k = 0; k < dimension; k++)
            {
                var code = packed.Codes[(((i / MatrixVector.PanelWidth * dimension) + k) * MatrixVector.PanelWidth) + (i % MatrixVector.PanelWidth)];
                expected = MathF.FusedMultiplyAdd(code, vector[k], expected);
            }

            Assert.Equal(expected * packed.Scales[i], result[i]);
        }

        Assert.Equal(42f, result[count]);
    }

    [Fact]
    public void Packed_rows_are_within_half_a_step_of_the_rows_and_keep_their_dot_products_close()
    {
        const int count = 500;
        const int dimension = 64;
        var (rows, vector) = RandomRows(count, dimension, 7);
        rows.AsSpan(3 * dimension, dimension).Clear(); // an all-zero row scores exactly 0
        var packed = MatrixVector.Pack(rows, count, dimension);
        var result = new float[count];
        MatrixVector.Multiply(packed, vector, result);

        var vectorNorm = MathF.Sqrt(vector.Sum(v => v * v));
        for (var i = 0; i < count; i++)
        {
            var row = rows.AsSpan(i * dimension, dimension);
            var max = 0f;
            foreach (var v in row)
            {
                max = MathF.Max(max, MathF.Abs(v));
            }

            Assert.Equal(max / 127, packed.Scales[i]);
            var residual = 0.0;
            for (var k = 0; k < dimension; k++)
            {
                var error = MatrixVector.ValueAt(packed, i, k) - row[k];
                Assert.True(MathF.Abs(error) <= (packed.Scales[i] / 2) + 1e-6f, $"row {i} factor {k}: error {error}");
                residual += error * error;
            }

            // Cauchy–Schwarz: the score is off by at most |vector| × |row error| (plus float rounding).
            var exact = 0.0;
            for (var k = 0; k < dimension; k++)
            {
                exact += row[k] * vector[k];
            }

            Assert.True(Math.Abs(result[i] - exact) <= (vectorNorm * Math.Sqrt(residual)) + 1e-4, $"row {i}: {result[i]} vs {exact}");
        }

        Assert.Equal(0f, result[3]);
    }

    [Fact]
    public void Packing_refuses_non_finite_factors()
    {
        var rows = new float[16];
        rows[5] = float.NaN;
        Assert.Throws<ArgumentException>(() => MatrixVector.Pack(rows, 2, 8));
    }

    private static (float[] Rows, float[] Vector) RandomRows(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * dimension];
        var vector = new float[dimension];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (var k = 0; k < dimension; k++)
        {
            vector[k] = (float)((random.NextDouble() * 2) - 1);
        }

        return (rows, vector);
    }

    [Theory]
    [InlineData(7, 3, true, 0.2)]
    [InlineData(10_000, 38, true, 0.2)]
    [InlineData(10_000, 38, false, 0.2)]
    [InlineData(10_000, 38, false, 0)]
    [InlineData(10_000, 100, false, 0.9)]
    [InlineData(1_003, 1, false, 0.2)]
    [InlineData(50, 100, true, 0.2)]
    [InlineData(10_007, 38, true, 0.05)]
    [InlineData(4_099, 16, false, 0)]
    public void Vectorized_top_k_keeps_exactly_what_a_plain_scan_keeps(int n, int k, bool nonFinite, double excludedShare)
    {
        var random = new Random((n * 31) + k);
        var scores = new float[n];
        for (var i = 0; i < n; i++)
        {
            // Coarse values make many ties; a few non-finite scores must never be kept.
            scores[i] = (float)Math.Round(random.NextDouble() * 50) / 10f;
            if (nonFinite && random.Next(40) == 0)
            {
                scores[i] = random.Next(3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
            }
        }

        // A large excluded share leaves fewer than k eligible items at the sampled estimate: the scan must redo itself.
        var excluded = Enumerable.Range(0, n).Where(_ => random.NextDouble() < excludedShare).ToArray();
        var expected = Enumerable.Range(0, n)
            .Where(i => float.IsFinite(scores[i]) && Array.BinarySearch(excluded, i) < 0)
            .OrderByDescending(i => scores[i])
            .ThenBy(i => i)
            .Take(k)
            .ToArray();

        var actual = TopK.Select(scores, k, excluded);

        Assert.Equal(expected, actual);
    }
}
