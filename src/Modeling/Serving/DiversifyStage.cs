using System.Buffers;
using Cohortly.Modeling.Diversity;

namespace Cohortly.Modeling.Serving;

/// <summary>Diversity: the pool re-ordered by maximal marginal relevance with the cohort's λ (1 = relevance only).</summary>
internal static class DiversifyStage
{
    /// <summary>
    /// This thread's MMR for the last λ served: an immutable object, so reusing it across requests changes nothing but
    /// the allocation.
    /// </summary>
    [ThreadStatic]
    private static MaximalMarginalRelevance? _lastMmr;

    /// <summary>
    /// The pool in MMR order: <paramref name="pool"/> itself when λ = 1 or it is too short to re-order, else a list
    /// from <paramref name="arena"/> when given (the serving path; it lives until the thread's next request), else a
    /// new one.
    /// </summary>
    public static List<ServingCandidate> Diversify(ServingIndex index, List<ServingCandidate> pool, double lambda, CandidateArena? arena = null)
    {
        if (lambda >= 1 || pool.Count <= 2)
        {
            return pool;
        }

        var n = pool.Count;
        Span<double> relevance = n <= 256 ? stackalloc double[n] : new double[n];
        for (var k = 0; k < relevance.Length; k++)
        {
            relevance[k] = pool[k].Score;
        }

        // MMR with the whole pool to pick looks at every pair once: all of them come first, four cosines at a time.
        var similarities = ArrayPool<double>.Shared.Rent(n * n);
        try
        {
            PairSimilarities(index, pool, similarities.AsSpan(0, n * n));
            var mmr = _lastMmr is { } last && last.Lambda == lambda ? last : _lastMmr = new MaximalMarginalRelevance(lambda);
            Span<int> order = n <= 256 ? stackalloc int[n] : new int[n];
            var picked = mmr.Select(relevance, similarities, order);
            var result = arena?.Diversified ?? new List<ServingCandidate>(picked);
            result.Clear();
            foreach (var k in order[..picked])
            {
                result.Add(pool[k]);
            }

            return result;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(similarities);
        }
    }

    /// <summary>
    /// <see cref="Similarity"/> of every pair of the pool into the symmetric n×n <paramref name="result"/> (the
    /// diagonal is not written: MMR never compares a candidate with itself).
    /// </summary>
    internal static void PairSimilarities(ServingIndex index, List<ServingCandidate> pool, Span<double> result)
    {
        var n = pool.Count;
        var f = index.Factors;
        var buffer = ArrayPool<int>.Shared.Rent(n);
        var cosineBuffer = ArrayPool<float>.Shared.Rent(n);
        var rowBuffer = ArrayPool<float>.Shared.Rent(Math.Max(1, n * f));
        try
        {
            var items = buffer.AsSpan(0, n);
            for (var k = 0; k < n; k++)
            {
                items[k] = pool[k].Item;
            }

            var rows = rowBuffer.AsSpan(0, n * f);
            index.GatherUnitRows(items, rows);
            for (var a = 1; a < n; a++)
            {
                var ca = pool[a];
                if (ca.Item < 0)
                {
                    for (var b = 0; b < a; b++)
                    {
                        result[(a * n) + b] = result[(b * n) + a] = Similarity(index, ca, pool[b]);
                    }

                    continue;
                }

                // The known items earlier in the pool in one batch of cosines (by their gathered rows); new ones by category.
                var known = 0;
                for (var b = 0; b < a; b++)
                {
                    if (pool[b].Item >= 0)
                    {
                        buffer[known++] = b;
                    }
                    else
                    {
                        result[(a * n) + b] = result[(b * n) + a] = Similarity(index, ca, pool[b]);
                    }
                }

                index.Cosines(rows, a, buffer.AsSpan(0, known), cosineBuffer.AsSpan(0, known));
                for (var k = 0; k < known; k++)
                {
                    var b = buffer[k];
                    result[(a * n) + b] = result[(b * n) + a] = cosineBuffer[k];
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
            ArrayPool<float>.Shared.Return(cosineBuffer);
            ArrayPool<float>.Shared.Return(rowBuffer);
        }
    }

    /// <summary>Factor cosine between known items; sharing the first category otherwise (new items have no factors).</summary>
    internal static double Similarity(ServingIndex index, ServingCandidate a, ServingCandidate b)
    {
        if (a.Item >= 0 && b.Item >= 0)
        {
            return index.Cosine(a.Item, b.Item);
        }

        var ca = a.Item >= 0 ? index.CategoryOf(a.Item) : a.Category;
        var cb = b.Item >= 0 ? index.CategoryOf(b.Item) : b.Category;
        return ca is not null && cb is not null && string.Equals(ca, cb, StringComparison.OrdinalIgnoreCase) ? 1 : 0;
    }
}
