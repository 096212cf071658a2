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
    public void Packed_multiply_gives_each_row_the_fused_chain_of_its_factors_in_order(int count, int dimension)
    {
        var random = new Random(count + dimension);
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

        // One slot past the rows: the padded tail panel must not write beyond count.
        var result = new float[count + 1];
        result[count] = 42f;
        MatrixVector.MultiplyPacked(MatrixVector.Pack(rows, count, dimension), count, dimension, vector, result);

        for (var i = 0; i < count; i++)
        {
            var expected = 0f;
            for (var k = 0; k < dimension; k++)
            {
                expected = MathF.FusedMultiplyAdd(rows[(i * dimension) + k], vector[k], expected);
            }

            Assert.Equal(expected, result[i]);
        }

        Assert.Equal(42f, result[count]);
    }

    [Theory]
    [InlineData(7, 3, true, 0.2)]
    [InlineData(10_000, 38, true, 0.2)]
    [InlineData(10_000, 38, false, 0.2)]
    [InlineData(10_000, 38, false, 0)]
    [InlineData(10_000, 100, false, 0.9)]
    [InlineData(1_003, 1, false, 0.2)]
    [InlineData(50, 100, true, 0.2)]
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
