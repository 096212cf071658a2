using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cohortly.Modeling.Recommenders;

/// <summary>Small dense solvers on row-major double arrays (no pivoting: callers pass symmetric positive definite matrices).</summary>
public static class DenseLinearAlgebra
{
    /// <summary>
    /// Solves A x = b for symmetric positive definite A (n×n, row-major) by Cholesky; A is overwritten by its factor
    /// and b by x.
    /// </summary>
    public static void CholeskySolveInPlace(Span<double> a, int n, Span<double> b)
    {
        if (a.Length < n * n || b.Length < n)
        {
            throw new ArgumentException("matrix or right-hand side too short");
        }

        for (var j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, j);
            var d = a[(j * n) + j] - Dot(rowJ, rowJ);
            if (!(d > 0))
            {
                throw new InvalidOperationException("matrix is not positive definite");
            }

            var ljj = Math.Sqrt(d);
            a[(j * n) + j] = ljj;
            for (var i = j + 1; i < n; i++)
            {
                var s = a[(i * n) + j] - Dot(a.Slice(i * n, j), rowJ);
                a[(i * n) + j] = s / ljj;
            }
        }

        // L y = b
        for (var i = 0; i < n; i++)
        {
            var s = b[i] - Dot(a.Slice(i * n, i), b[..i]);
            b[i] = s / a[(i * n) + i];
        }

        // Lᵀ x = y
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

    /// <summary>
    /// Dot product of two short vectors (a factorization's row prefixes: 0 to n−1 entries). A general-purpose dot
    /// spends more on its set-up than on rows this short, and a 64×64 solve takes ~2,000 of them; here four partial
    /// sums run over 4-wide blocks, then the remainder in order, so the result depends only on the inputs.
    /// </summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var n = Math.Min(x.Length, y.Length);
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var yr = ref MemoryMarshal.GetReference(y);
        var k = 0;
        var sum = 0.0;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            var acc = Vector256<double>.Zero;
            for (; k + Vector256<double>.Count <= n; k += Vector256<double>.Count)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref xr, (nuint)k), Vector256.LoadUnsafe(ref yr, (nuint)k), acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; k < n; k++)
        {
            sum = Math.FusedMultiplyAdd(Unsafe.Add(ref xr, k), Unsafe.Add(ref yr, k), sum);
        }

        return sum;
    }

    /// <summary>
    /// Adds <paramref name="weight"/> · v vᵀ to the lower triangle (diagonal included) of the symmetric n×n row-major
    /// <paramref name="a"/>, which is all <see cref="CholeskySolveInPlace"/> reads.
    /// </summary>
    public static void AddLowerOuterProduct(Span<double> a, int n, ReadOnlySpan<double> v, double weight)
    {
        if (a.Length < n * n || v.Length < n)
        {
            throw new ArgumentException("matrix or vector too short");
        }

        for (var p = 0; p < n; p++)
        {
            var row = a.Slice(p * n, p + 1);
            TensorPrimitives.MultiplyAdd(v[..(p + 1)], weight * v[p], row, row);
        }
    }

    /// <summary>
    /// Inverts a symmetric positive definite matrix (n×n, row-major) in place by Gauss-Jordan elimination; the row
    /// updates of each pivot step run in parallel and are vectorised.
    /// </summary>
    public static void InvertSpdInPlace(double[] a, int n, ParallelOptions parallel)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(parallel);
        if (a.Length < n * n)
        {
            throw new ArgumentException("matrix too short", nameof(a));
        }

        for (var k = 0; k < n; k++)
        {
            var pivot = a[(k * n) + k];
            if (!(pivot > 0))
            {
                throw new InvalidOperationException("matrix is not positive definite");
            }

            a[(k * n) + k] = 1.0;
            TensorPrimitives.Multiply<double>(a.AsSpan(k * n, n), 1.0 / pivot, a.AsSpan(k * n, n));
            var pk = k;
            Parallel.For(0, n, parallel, i =>
            {
                if (i == pk)
                {
                    return;
                }

                var row = a.AsSpan(i * n, n);
                var factor = row[pk];
                if (factor == 0)
                {
                    return;
                }

                row[pk] = 0;
                TensorPrimitives.MultiplyAdd<double>(a.AsSpan(pk * n, n), -factor, row, row);
            });
        }
    }
}
