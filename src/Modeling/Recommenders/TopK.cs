using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// Bounded min-heap keeping the k best (score, index) pairs seen; ties prefer the lower index so results are
/// deterministic. O(n log k) instead of a full sort.
/// </summary>
public sealed class TopKHeap
{
    private readonly float[] _scores;
    private readonly int[] _indices;

    public TopKHeap(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        _scores = new float[k];
        _indices = new int[k];
    }

    public int Capacity => _scores.Length;

    public int Count { get; private set; }

    public void Clear() => Count = 0;

    /// <summary>
    /// Once the heap is full, the lowest kept score: a score below it can never enter, so a caller scanning many
    /// items can skip the call for them (equal scores still go through <see cref="Offer"/> for the index tie-break).
    /// Negative infinity while the heap is not full.
    /// </summary>
    public float Threshold => Count == _scores.Length ? _scores[0] : float.NegativeInfinity;

    public void Offer(int index, float score)
    {
        if (float.IsNaN(score))
        {
            return;
        }

        if (Count < _scores.Length)
        {
            var i = Count++;
            _scores[i] = score;
            _indices[i] = index;
            SiftUp(i);
        }
        else if (Better(score, index, _scores[0], _indices[0]))
        {
            _scores[0] = score;
            _indices[0] = index;
            SiftDown(0);
        }
    }

    /// <summary>Writes the kept pairs best first and empties the heap; returns how many were written.</summary>
    public int Drain(Span<int> indices, Span<float> scores = default)
    {
        var n = Count;
        for (var k = n - 1; k >= 0; k--)
        {
            indices[k] = _indices[0];
            if (!scores.IsEmpty)
            {
                scores[k] = _scores[0];
            }

            Count--;
            if (Count > 0)
            {
                _scores[0] = _scores[Count];
                _indices[0] = _indices[Count];
                SiftDown(0);
            }
        }

        return n;
    }

    private static bool Better(float s1, int i1, float s2, int i2) => s1 > s2 || (s1 == s2 && i1 < i2);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Better(_scores[parent], _indices[parent], _scores[i], _indices[i]))
            {
                break;
            }

            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var l = (2 * i) + 1;
            if (l >= Count)
            {
                return;
            }

            var worst = l;
            var r = l + 1;
            if (r < Count && Better(_scores[l], _indices[l], _scores[r], _indices[r]))
            {
                worst = r;
            }

            if (!Better(_scores[i], _indices[i], _scores[worst], _indices[worst]))
            {
                return;
            }

            Swap(i, worst);
            i = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_indices[a], _indices[b]) = (_indices[b], _indices[a]);
    }
}

public static class TopK
{
    /// <summary>
    /// The best <c>heap.Capacity</c> items by score, best first, skipping <paramref name="excludedSorted"/> (ascending
    /// item indices, e.g. a user's training items) and non-finite scores. Returns how many were written.
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, ReadOnlySpan<int> excludedSorted, TopKHeap heap, Span<int> result)
    {
        Fill(scores, excludedSorted, heap);
        return heap.Drain(result);
    }

    /// <summary>
    /// Empties the heap, then offers it every finite score not in <paramref name="excludedSorted"/> (ascending, distinct
    /// item indices), in index order; afterwards it holds exactly the best <c>heap.Capacity</c> of them.
    /// </summary>
    /// <remarks>
    /// Most of a plain scan's cost is heap updates for items that are later pushed out again. Over many items an
    /// estimate of the k-th best score comes first, from every 16th score (the score about 2k items reach), and
    /// only scores at or above it are looked at: a block of 8 all below costs one vector compare and nearly every
    /// offered item stays. When fewer than k eligible items reach the estimate (excluded items among the best, such as
    /// a user's own history, or an unlucky sample: about one request in six in the serve bench), the scan runs again
    /// without it, so the result is always exactly the plain scan's. Retrying from a deeper estimate first was tried
    /// and measured no faster.
    /// </remarks>
    public static void Fill(ReadOnlySpan<float> scores, ReadOnlySpan<int> excludedSorted, TopKHeap heap)
    {
        ArgumentNullException.ThrowIfNull(heap);
        heap.Clear();
        var k = heap.Capacity;
        const int Stride = 16;
        var rank = ((2 * k) + Stride - 1) / Stride;
        if (scores.Length >= 32 * k && rank <= 64)
        {
            var bound = SampledRank(scores, Stride, rank);
            if (float.IsFinite(bound))
            {
                Scan(scores, excludedSorted, heap, bound);
                if (heap.Count == k)
                {
                    return;
                }

                heap.Clear();
            }
        }

        Scan(scores, excludedSorted, heap, float.NegativeInfinity);
    }

    /// <summary>The <paramref name="rank"/>-th largest of every <paramref name="stride"/>-th score (NaN if any sample is NaN).</summary>
    private static float SampledRank(ReadOnlySpan<float> scores, int stride, int rank)
    {
        Span<float> best = stackalloc float[rank];
        best.Fill(float.NegativeInfinity);
        for (var i = 0; i < scores.Length; i += stride)
        {
            var v = scores[i];
            if (float.IsNaN(v))
            {
                return float.NaN;
            }

            if (v <= best[rank - 1])
            {
                continue;
            }

            // best is sorted descending; insert v and drop the smallest.
            var p = rank - 1;
            while (p > 0 && best[p - 1] < v)
            {
                best[p] = best[p - 1];
                p--;
            }

            best[p] = v;
        }

        return best[rank - 1];
    }

    private static void Scan(ReadOnlySpan<float> scores, ReadOnlySpan<int> excludedSorted, TopKHeap heap, float bound)
    {
        var e = 0;
        var i = 0;
        ref var first = ref MemoryMarshal.GetReference(scores);

        // The cut-off is read again only after a block that offered something (only an offer raises the heap's
        // threshold): reading it per block cost about as much as the compares. Offering checks the exact threshold
        // itself, so a cut-off a block late lets more through the compare, never fewer.
        var limit = Math.Max(bound, heap.Threshold);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<float>.Count <= scores.Length; i += Vector512<float>.Count)
            {
                var mask = Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref first, (nuint)i), Vector512.Create(limit)).ExtractMostSignificantBits();
                if (mask != 0)
                {
                    OfferBlock(scores, i, mask, excludedSorted, ref e, heap, bound);
                    limit = Math.Max(bound, heap.Threshold);
                }
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<float>.Count <= scores.Length; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref first, (nuint)i), Vector256.Create(limit)).ExtractMostSignificantBits();
                if (mask != 0)
                {
                    OfferBlock(scores, i, mask, excludedSorted, ref e, heap, bound);
                    limit = Math.Max(bound, heap.Threshold);
                }
            }
        }

        for (; i < scores.Length; i++)
        {
            if (scores[i] >= bound)
            {
                OfferOne(scores[i], i, excludedSorted, ref e, heap, bound);
            }
        }
    }

    /// <summary>Offers the scores of a block whose compare set <paramref name="mask"/>, in index order.</summary>
    private static void OfferBlock(ReadOnlySpan<float> scores, int start, ulong mask, ReadOnlySpan<int> excludedSorted, ref int e, TopKHeap heap, float bound)
    {
        while (mask != 0)
        {
            var j = start + BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            OfferOne(scores[j], j, excludedSorted, ref e, heap, bound);
        }
    }

    private static void OfferOne(float score, int index, ReadOnlySpan<int> excludedSorted, ref int e, TopKHeap heap, float bound)
    {
        while (e < excludedSorted.Length && excludedSorted[e] < index)
        {
            e++;
        }

        if ((e < excludedSorted.Length && excludedSorted[e] == index) || !float.IsFinite(score) || score < bound || score < heap.Threshold)
        {
            return;
        }

        heap.Offer(index, score);
    }

    public static int[] Select(ReadOnlySpan<float> scores, int k, ReadOnlySpan<int> excludedSorted = default)
    {
        var heap = new TopKHeap(k);
        var result = new int[k];
        var n = Select(scores, excludedSorted, heap, result);
        return n == k ? result : result[..n];
    }
}
