using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// Dense matrix × vector for scoring every item against one user vector, on a copy of the item rows packed into
/// panels of <see cref="PanelWidth"/> rows stored factor-major (all rows' factor 0, then all rows' factor 1, …).
/// </summary>
/// <remarks>
/// With rows as short as a factor vector (64 floats), a dot product per row spends most of its time on the
/// horizontal sum at its end; it was the largest single cost of serving a recommendation over 10,000 items.
/// In the packed layout one vector register holds the running sums of a whole panel of rows, each step is one
/// load, one broadcast of the user's factor and one fused multiply-add, and no horizontal sum is needed. Each row's
/// score is the same chain of fused multiply-adds over its factors in order (the scalar fallback and every vector
/// width compute exactly the same numbers), so a row's score does not depend on its position, the machine's vector
/// width or the caller (training's holdout ranking and serving both come through here).
/// </remarks>
internal static class MatrixVector
{
    /// <summary>Rows per panel: one 512-bit register of floats (two 256-bit ones where 512 bits are not accelerated).</summary>
    public const int PanelWidth = 16;

    /// <summary>Packs <paramref name="count"/> row-major rows of <paramref name="dimension"/> floats into zero-padded panels.</summary>
    public static float[] Pack(ReadOnlySpan<float> rows, int count, int dimension)
    {
        if (count < 0 || dimension < 0 || rows.Length < count * dimension)
        {
            throw new ArgumentException("matrix length does not match count × dimension");
        }

        var panels = (count + PanelWidth - 1) / PanelWidth;
        var packed = new float[panels * PanelWidth * dimension];
        for (var i = 0; i < count; i++)
        {
            var panelStart = i / PanelWidth * PanelWidth * dimension;
            var lane = i % PanelWidth;
            var row = rows.Slice(i * dimension, dimension);
            for (var k = 0; k < dimension; k++)
            {
                packed[panelStart + (k * PanelWidth) + lane] = row[k];
            }
        }

        return packed;
    }

    /// <summary>result[i] = row i · vector for the first <paramref name="count"/> rows of a <see cref="Pack"/>ed matrix.</summary>
    public static void MultiplyPacked(ReadOnlySpan<float> packed, int count, int dimension, ReadOnlySpan<float> vector, Span<float> result)
    {
        var panels = (count + PanelWidth - 1) / PanelWidth;
        if (vector.Length != dimension || packed.Length < panels * PanelWidth * dimension || result.Length < count)
        {
            throw new ArgumentException("matrix, vector and result lengths do not agree");
        }

        Span<float> tail = stackalloc float[PanelWidth];
        ref var m = ref MemoryMarshal.GetReference(packed);
        ref var x = ref MemoryMarshal.GetReference(vector);
        for (var p = 0; p < panels; p++)
        {
            ref var panel = ref Unsafe.Add(ref m, p * PanelWidth * dimension);
            var full = (p + 1) * PanelWidth <= count;
            var target = full ? result.Slice(p * PanelWidth, PanelWidth) : tail;
            if (Vector512.IsHardwareAccelerated)
            {
                var acc = Vector512<float>.Zero;
                for (var k = 0; k < dimension; k++)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, (nuint)(k * PanelWidth)), Vector512.Create(Unsafe.Add(ref x, k)), acc);
                }

                acc.CopyTo(target);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var lo = Vector256<float>.Zero;
                var hi = Vector256<float>.Zero;
                for (var k = 0; k < dimension; k++)
                {
                    var xk = Vector256.Create(Unsafe.Add(ref x, k));
                    lo = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref panel, (nuint)(k * PanelWidth)), xk, lo);
                    hi = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref panel, (nuint)((k * PanelWidth) + 8)), xk, hi);
                }

                lo.CopyTo(target);
                hi.CopyTo(target[8..]);
            }
            else
            {
                for (var lane = 0; lane < PanelWidth; lane++)
                {
                    var acc = 0f;
                    for (var k = 0; k < dimension; k++)
                    {
                        acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref panel, (k * PanelWidth) + lane), Unsafe.Add(ref x, k), acc);
                    }

                    target[lane] = acc;
                }
            }

            if (!full)
            {
                tail[..(count - (p * PanelWidth))].CopyTo(result[(p * PanelWidth)..]);
            }
        }
    }
}
