using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// Dense matrix × vector for scoring every item against one user vector (row-major items × factors).
/// </summary>
/// <remarks>
/// One <c>TensorPrimitives.Dot</c> per item spends most of its time on per-call set-up (alignment, masks,
/// remainders) when rows are as short as a factor vector (64 floats), and it was the largest single cost of
/// serving a recommendation over 10,000 items. Here four rows share one pass over the user vector with one
/// accumulator each, so the user vector's chunks are loaded once per four rows and the loop has no per-row calls.
/// The sum for one row runs in a fixed order that does not depend on the row's position, so a row's score is
/// the same whichever caller asks (training's holdout ranking and serving both come through here).
/// </remarks>
internal static class MatrixVector
{
    public static void Multiply(ReadOnlySpan<float> rows, int count, int dimension, ReadOnlySpan<float> vector, Span<float> result)
    {
        if (vector.Length != dimension || rows.Length < count * dimension || result.Length < count)
        {
            throw new ArgumentException("matrix, vector and result lengths do not agree");
        }

        var width = Vector256<float>.Count;
        if (!Vector256.IsHardwareAccelerated || dimension < width || dimension % width != 0)
        {
            for (var i = 0; i < count; i++)
            {
                result[i] = TensorPrimitives.Dot(rows.Slice(i * dimension, dimension), vector);
            }

            return;
        }

        ref var m = ref MemoryMarshal.GetReference(rows);
        ref var x = ref MemoryMarshal.GetReference(vector);
        var i4 = 0;
        for (; i4 + 4 <= count; i4 += 4)
        {
            ref var r0 = ref Unsafe.Add(ref m, i4 * dimension);
            ref var r1 = ref Unsafe.Add(ref r0, dimension);
            ref var r2 = ref Unsafe.Add(ref r1, dimension);
            ref var r3 = ref Unsafe.Add(ref r2, dimension);
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero;
            var a3 = Vector256<float>.Zero;
            for (var k = 0; k < dimension; k += width)
            {
                var xv = Vector256.LoadUnsafe(ref x, (nuint)k);
                a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r0, (nuint)k), xv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r1, (nuint)k), xv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r2, (nuint)k), xv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r3, (nuint)k), xv, a3);
            }

            result[i4] = Vector256.Sum(a0);
            result[i4 + 1] = Vector256.Sum(a1);
            result[i4 + 2] = Vector256.Sum(a2);
            result[i4 + 3] = Vector256.Sum(a3);
        }

        for (; i4 < count; i4++)
        {
            ref var r = ref Unsafe.Add(ref m, i4 * dimension);
            var a = Vector256<float>.Zero;
            for (var k = 0; k < dimension; k += width)
            {
                a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r, (nuint)k), Vector256.LoadUnsafe(ref x, (nuint)k), a);
            }

            result[i4] = Vector256.Sum(a);
        }
    }
}
