using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// Item rows stored for scoring every item against one user vector: each row as signed 8-bit codes times one
/// per-row scale (the row's largest magnitude / 127), packed into panels of <see cref="MatrixVector.PanelWidth"/>
/// rows stored factor-major (all rows' factor 0, then all rows' factor 1, …).
/// </summary>
/// <param name="Codes">Panel p, factor k, lane l at <c>(p × Dimension + k) × PanelWidth + l</c>; zero-padded.</param>
/// <param name="Scales">One per row, padded to whole panels with zeros.</param>
internal sealed record PackedRows(sbyte[] Codes, float[] Scales, int Count, int Dimension);

/// <summary>Dense matrix × vector over <see cref="PackedRows"/>.</summary>
/// <remarks>
/// Scoring 10,000 items of 64 factors read 2.5 MB of floats per request, and the loop ran at the speed of that
/// read. Codes are a quarter of it (0.6 MB, which stays in a core's L2 cache) and the per-row rounding error is at
/// most half a step (scale / 2) per factor; the ranking effect is measured in docs/benchmarks.md. One vector
/// register holds the running sums of a whole panel (no horizontal sums) and four panels run side by side so the
/// multiply-add latency does not serialise them. Each row's score is the same chain of fused multiply-adds of its
/// codes with the user's factors in order, times the row's scale, whatever the vector width: a row's score does not
/// depend on its position, the machine or the caller (training's holdout ranking and serving both come through
/// here, which is what keeps online and offline lists identical).
/// </remarks>
internal static class MatrixVector
{
    /// <summary>Rows per panel: one 512-bit register of floats (two 256-bit ones where 512 bits are not accelerated).</summary>
    public const int PanelWidth = 16;

    private const int Level = 127;

    /// <summary>Quantizes and packs <paramref name="count"/> row-major rows of <paramref name="dimension"/> floats.</summary>
    public static PackedRows Pack(ReadOnlySpan<float> rows, int count, int dimension)
    {
        if (count < 0 || dimension < 0 || rows.Length < count * dimension)
        {
            throw new ArgumentException("matrix length does not match count × dimension");
        }

        var panels = (count + PanelWidth - 1) / PanelWidth;
        var codes = new sbyte[panels * PanelWidth * dimension];
        var scales = new float[panels * PanelWidth];
        for (var i = 0; i < count; i++)
        {
            var row = rows.Slice(i * dimension, dimension);
            var max = 0f;
            foreach (var v in row)
            {
                max = MathF.Max(max, MathF.Abs(v));
            }

            if (!float.IsFinite(max))
            {
                throw new ArgumentException($"row {i} has a non-finite value");
            }

            if (max == 0)
            {
                continue;
            }

            scales[i] = max / Level;
            var inverse = Level / max;
            var panelStart = i / PanelWidth * PanelWidth * dimension;
            var lane = i % PanelWidth;
            for (var k = 0; k < dimension; k++)
            {
                codes[panelStart + (k * PanelWidth) + lane] = (sbyte)Math.Clamp(MathF.Round(row[k] * inverse), -Level, Level);
            }
        }

        return new PackedRows(codes, scales, count, dimension);
    }

    /// <summary>The value a packed row holds for factor <paramref name="k"/> (its code times its scale).</summary>
    public static float ValueAt(PackedRows packed, int row, int k) =>
        packed.Codes[(((row / PanelWidth * packed.Dimension) + k) * PanelWidth) + (row % PanelWidth)] * packed.Scales[row];

    /// <summary>result[i] = (codes of row i · vector) × scale of row i, for every packed row.</summary>
    public static void Multiply(PackedRows packed, ReadOnlySpan<float> vector, Span<float> result)
    {
        ArgumentNullException.ThrowIfNull(packed);
        var (count, dimension) = (packed.Count, packed.Dimension);
        if (vector.Length != dimension || result.Length < count)
        {
            throw new ArgumentException("matrix, vector and result lengths do not agree");
        }

        var panels = (count + PanelWidth - 1) / PanelWidth;
        var fullPanels = count / PanelWidth;
        ref var codes = ref MemoryMarshal.GetArrayDataReference(packed.Codes);
        ref var scales = ref MemoryMarshal.GetArrayDataReference(packed.Scales);
        ref var x = ref MemoryMarshal.GetReference(vector);
        ref var r = ref MemoryMarshal.GetReference(result);
        var p = 0;
        if (Avx512F.IsSupported)
        {
            for (; p + 4 <= fullPanels; p += 4)
            {
                FourPanels512(ref codes, ref scales, ref x, ref r, p, dimension);
            }
        }

        Span<float> tail = stackalloc float[PanelWidth];
        for (; p < panels; p++)
        {
            var full = p < fullPanels;
            ref var target = ref full ? ref Unsafe.Add(ref r, p * PanelWidth) : ref MemoryMarshal.GetReference(tail);
            OnePanel(ref codes, ref scales, ref x, ref target, p, dimension);
            if (!full)
            {
                tail[..(count - (p * PanelWidth))].CopyTo(result[(p * PanelWidth)..]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen512(ref sbyte codes, int offset) =>
        Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref codes, (nuint)offset)));

    private static void FourPanels512(ref sbyte codes, ref float scales, ref float x, ref float result, int p, int dimension)
    {
        var stride = dimension * PanelWidth;
        var o0 = p * stride;
        var (a0, a1, a2, a3) = (Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero, Vector512<float>.Zero);
        for (var k = 0; k < dimension; k++)
        {
            var xk = Vector512.Create(Unsafe.Add(ref x, k));
            var o = o0 + (k * PanelWidth);
            a0 = Avx512F.FusedMultiplyAdd(Widen512(ref codes, o), xk, a0);
            a1 = Avx512F.FusedMultiplyAdd(Widen512(ref codes, o + stride), xk, a1);
            a2 = Avx512F.FusedMultiplyAdd(Widen512(ref codes, o + (2 * stride)), xk, a2);
            a3 = Avx512F.FusedMultiplyAdd(Widen512(ref codes, o + (3 * stride)), xk, a3);
        }

        var s = p * PanelWidth;
        (a0 * Vector512.LoadUnsafe(ref scales, (nuint)s)).StoreUnsafe(ref result, (nuint)s);
        (a1 * Vector512.LoadUnsafe(ref scales, (nuint)(s + PanelWidth))).StoreUnsafe(ref result, (nuint)(s + PanelWidth));
        (a2 * Vector512.LoadUnsafe(ref scales, (nuint)(s + (2 * PanelWidth)))).StoreUnsafe(ref result, (nuint)(s + (2 * PanelWidth)));
        (a3 * Vector512.LoadUnsafe(ref scales, (nuint)(s + (3 * PanelWidth)))).StoreUnsafe(ref result, (nuint)(s + (3 * PanelWidth)));
    }

    /// <summary>One panel into <paramref name="target"/> (PanelWidth floats).</summary>
    private static void OnePanel(ref sbyte codes, ref float scales, ref float x, ref float target, int p, int dimension)
    {
        var panel = p * dimension * PanelWidth;
        ref var scale = ref Unsafe.Add(ref scales, p * PanelWidth);
        if (Avx512F.IsSupported)
        {
            var acc = Vector512<float>.Zero;
            for (var k = 0; k < dimension; k++)
            {
                acc = Avx512F.FusedMultiplyAdd(Widen512(ref codes, panel + (k * PanelWidth)), Vector512.Create(Unsafe.Add(ref x, k)), acc);
            }

            (acc * Vector512.LoadUnsafe(ref scale)).StoreUnsafe(ref target);
        }
        else if (Avx2.IsSupported && Fma.IsSupported)
        {
            var lo = Vector256<float>.Zero;
            var hi = Vector256<float>.Zero;
            for (var k = 0; k < dimension; k++)
            {
                var xk = Vector256.Create(Unsafe.Add(ref x, k));
                var bytes = Vector128.LoadUnsafe(ref codes, (nuint)(panel + (k * PanelWidth)));
                lo = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes)), xk, lo);
                hi = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(bytes.AsByte(), 8).AsSByte())), xk, hi);
            }

            (lo * Vector256.LoadUnsafe(ref scale)).StoreUnsafe(ref target);
            (hi * Vector256.LoadUnsafe(ref scale, 8)).StoreUnsafe(ref target, 8);
        }
        else
        {
            for (var lane = 0; lane < PanelWidth; lane++)
            {
                var acc = 0f;
                for (var k = 0; k < dimension; k++)
                {
                    acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref codes, panel + (k * PanelWidth) + lane), Unsafe.Add(ref x, k), acc);
                }

                Unsafe.Add(ref target, lane) = acc * Unsafe.Add(ref scale, lane);
            }
        }
    }
}
