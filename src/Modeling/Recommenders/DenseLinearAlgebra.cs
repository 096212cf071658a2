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
            var i = j + 1;
            for (; i + 4 <= n; i += 4)
            {
                // Four rows' dots with row j side by side (their chains of multiply-adds are independent), each
                // exactly as Dot computes it.
                Dot4(a.Slice(i * n, (3 * n) + j), n, rowJ, out var d0, out var d1, out var d2, out var d3);
                a[(i * n) + j] = (a[(i * n) + j] - d0) / ljj;
                a[((i + 1) * n) + j] = (a[((i + 1) * n) + j] - d1) / ljj;
                a[((i + 2) * n) + j] = (a[((i + 2) * n) + j] - d2) / ljj;
                a[((i + 3) * n) + j] = (a[((i + 3) * n) + j] - d3) / ljj;
            }

            for (; i < n; i++)
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
    /// <see cref="Dot"/> of the first y.Length entries of four rows (<paramref name="rows"/> from the first, one every
    /// <paramref name="stride"/>) with <paramref name="y"/>: per row the same operations in the same order as Dot, so the
    /// same double; four at once because one dot's multiply-adds wait on each other.
    /// </summary>
    private static void Dot4(ReadOnlySpan<double> rows, int stride, ReadOnlySpan<double> y, out double d0, out double d1, out double d2, out double d3)
    {
        var n = y.Length;
        if (rows.Length < (3 * stride) + n)
        {
            throw new ArgumentException("four rows do not fit", nameof(rows));
        }

        ref var r0 = ref MemoryMarshal.GetReference(rows);
        ref var r1 = ref Unsafe.Add(ref r0, stride);
        ref var r2 = ref Unsafe.Add(ref r0, 2 * stride);
        ref var r3 = ref Unsafe.Add(ref r0, 3 * stride);
        ref var yr = ref MemoryMarshal.GetReference(y);
        var k = 0;
        (d0, d1, d2, d3) = (0.0, 0.0, 0.0, 0.0);
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            var (a0, a1, a2, a3) = (Vector256<double>.Zero, Vector256<double>.Zero, Vector256<double>.Zero, Vector256<double>.Zero);
            for (; k + Vector256<double>.Count <= n; k += Vector256<double>.Count)
            {
                var yk = Vector256.LoadUnsafe(ref yr, (nuint)k);
                a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r0, (nuint)k), yk, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r1, (nuint)k), yk, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r2, (nuint)k), yk, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r3, (nuint)k), yk, a3);
            }

            (d0, d1, d2, d3) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        }

        for (; k < n; k++)
        {
            var yk = Unsafe.Add(ref yr, k);
            d0 = Math.FusedMultiplyAdd(Unsafe.Add(ref r0, k), yk, d0);
            d1 = Math.FusedMultiplyAdd(Unsafe.Add(ref r1, k), yk, d1);
            d2 = Math.FusedMultiplyAdd(Unsafe.Add(ref r2, k), yk, d2);
            d3 = Math.FusedMultiplyAdd(Unsafe.Add(ref r3, k), yk, d3);
        }
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

        // Row p += v[0..p] × (weight · v[p]): a multiply, then an add, per entry (not fused), as
        // TensorPrimitives.MultiplyAdd computes it, inline: a fold-in makes 64 of these short calls per item and the
        // calls' set-up cost more than their arithmetic.
        ref var vr = ref MemoryMarshal.GetReference(v);
        for (var p = 0; p < n; p++)
        {
            var w = weight * v[p];
            ref var row = ref a[p * n];
            var k = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var wv = Vector256.Create(w);
                for (; k + Vector256<double>.Count <= p + 1; k += Vector256<double>.Count)
                {
                    ((Vector256.LoadUnsafe(ref vr, (nuint)k) * wv) + Vector256.LoadUnsafe(ref row, (nuint)k)).StoreUnsafe(ref row, (nuint)k);
                }
            }

            for (; k <= p; k++)
            {
                var product = Unsafe.Add(ref vr, k) * w;
                Unsafe.Add(ref row, k) = product + Unsafe.Add(ref row, k);
            }
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
