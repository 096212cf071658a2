using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

/// <summary>The Cholesky solve behind every fold-in, against the row-at-a-time form it had, bit for bit.</summary>
public sealed class CholeskyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(67)]
    public void The_solve_gives_the_same_doubles_as_one_dot_per_row(int n)
    {
        var random = new Random(n);
        // An SPD matrix as serving builds one: λI plus weighted outer products of random rows.
        var a = new double[n * n];
        for (var p = 0; p < n; p++)
        {
            a[(p * n) + p] = 0.5 + random.NextDouble();
        }

        var v = new double[n];
        for (var r = 0; r < n + 3; r++)
        {
            for (var p = 0; p < n; p++)
            {
                v[p] = (random.NextDouble() * 2) - 1;
            }

            DenseLinearAlgebra.AddLowerOuterProduct(a, n, v, 0.1 + random.NextDouble());
        }

        var b = Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 4) - 2).ToArray();
        var (expectedA, expectedB) = ((double[])a.Clone(), (double[])b.Clone());
        RowAtATime(expectedA, n, expectedB);

        DenseLinearAlgebra.CholeskySolveInPlace(a, n, b);

        Assert.Equal(expectedB.Select(BitConverter.DoubleToInt64Bits), b.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(expectedA.Select(BitConverter.DoubleToInt64Bits), a.Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void Outer_products_add_what_a_multiply_add_per_row_adds(int n)
    {
        var random = new Random(100 + n);
        var a = Enumerable.Range(0, n * n).Select(_ => random.NextDouble()).ToArray();
        var expected = (double[])a.Clone();
        var v = Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var weight = 0.3 + random.NextDouble();
        for (var p = 0; p < n; p++)
        {
            var row = expected.AsSpan(p * n, p + 1);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(v.AsSpan(0, p + 1), weight * v[p], row, row);
        }

        DenseLinearAlgebra.AddLowerOuterProduct(a, n, v, weight);

        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), a.Select(BitConverter.DoubleToInt64Bits));
    }

    /// <summary>The solve as it was before four rows ran side by side: one <see cref="DenseLinearAlgebra.Dot"/> per entry.</summary>
    private static void RowAtATime(Span<double> a, int n, Span<double> b)
    {
        for (var j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, j);
            var ljj = Math.Sqrt(a[(j * n) + j] - DenseLinearAlgebra.Dot(rowJ, rowJ));
            a[(j * n) + j] = ljj;
            for (var i = j + 1; i < n; i++)
            {
                a[(i * n) + j] = (a[(i * n) + j] - DenseLinearAlgebra.Dot(a.Slice(i * n, j), rowJ)) / ljj;
            }
        }

        for (var i = 0; i < n; i++)
        {
            b[i] = (b[i] - DenseLinearAlgebra.Dot(a.Slice(i * n, i), b[..i])) / a[(i * n) + i];
        }

        for (var i = n - 1; i >= 0; i--)
        {
            var s = b[i];
            for (var k = i + 1; k < n; k++)
            {
                s -= a[(k * n) + i] * b[k];
            }

            b[i] = s / a[(i * n) + i];
        }
    }
}
