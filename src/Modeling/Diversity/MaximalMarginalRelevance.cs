using System.Numerics.Tensors;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Diversity;

/// <summary>
/// Maximal marginal relevance (Carbonell &amp; Goldstein 1998): repeatedly pick the candidate
/// maximizing λ·relevance − (1 − λ)·(largest similarity to anything already picked).
/// O(n·k) similarity evaluations: the running maximum is updated once per pick.
/// </summary>
public sealed class MaximalMarginalRelevance : IDiversifier
{
    private const int StackLimit = 256;

    /// <param name="lambda">1 = relevance order; 0 = only dissimilarity matters after the first pick.</param>
    /// <param name="normalizeRelevance">Min–max scale relevance to [0, 1] first, to be comparable with cosine similarity.</param>
    public MaximalMarginalRelevance(double lambda, bool normalizeRelevance = true)
    {
        DiversityMath.ValidateLambda(lambda);
        Lambda = lambda;
        NormalizeRelevance = normalizeRelevance;
    }

    public double Lambda { get; }

    public bool NormalizeRelevance { get; }

    /// <summary>MMR with cosine similarity between item vectors.</summary>
    public int[] Select(ReadOnlySpan<double> relevance, FeatureMatrix itemVectors, int k)
    {
        DiversityMath.Validate(relevance.Length, itemVectors, k);
        var unit = DiversityMath.UnitRows(itemVectors);
        var d = itemVectors.Columns;
        return Run(relevance, k, new CosineSimilarity(unit, d));
    }

    /// <summary>MMR with a caller-supplied similarity (e.g. shared-category or co-view similarity).</summary>
    public int[] Select(ReadOnlySpan<double> relevance, Func<int, int, double> similarity, int k)
    {
        ArgumentNullException.ThrowIfNull(similarity);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return Run(relevance, k, new DelegateSimilarity(similarity));
    }

    /// <summary>
    /// MMR with the similarities given as a symmetric n×n matrix (<c>[a × n + b]</c>, n = relevance.Length), for a
    /// caller that computes the pairs faster together than one by one; picks what the delegate overload picks.
    /// </summary>
    public int[] Select(ReadOnlySpan<double> relevance, double[] similarities, int k)
    {
        ArgumentNullException.ThrowIfNull(similarities);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (similarities.Length < relevance.Length * relevance.Length)
        {
            throw new ArgumentException("the similarity matrix must hold n × n entries", nameof(similarities));
        }

        return Run(relevance, k, new MatrixSimilarity(similarities, relevance.Length));
    }

    /// <summary>
    /// The matrix overload writing the picks into <paramref name="selected"/> (its length is k) instead of a new array,
    /// for a caller that serves many requests; returns how many were written (min(k, n)).
    /// </summary>
    public int Select(ReadOnlySpan<double> relevance, double[] similarities, Span<int> selected)
    {
        ArgumentNullException.ThrowIfNull(similarities);
        if (similarities.Length < relevance.Length * relevance.Length)
        {
            throw new ArgumentException("the similarity matrix must hold n × n entries", nameof(similarities));
        }

        var take = Math.Min(selected.Length, relevance.Length);
        Run(relevance, selected[..take], new MatrixSimilarity(similarities, relevance.Length));
        return take;
    }

    private int[] Run<TSimilarity>(ReadOnlySpan<double> relevance, int k, TSimilarity similarity)
        where TSimilarity : struct, ISimilarity
    {
        var selected = new int[Math.Min(k, relevance.Length)];
        Run(relevance, selected, similarity);
        return selected;
    }

    /// <summary>Fills <paramref name="selected"/> (at most n long) with the first picks in order.</summary>
    private void Run<TSimilarity>(ReadOnlySpan<double> relevance, Span<int> selected, TSimilarity similarity)
        where TSimilarity : struct, ISimilarity
    {
        var n = relevance.Length;
        // Serving diversifies a few dozen candidates per request: the working arrays live on the stack there.
        var small = n <= StackLimit;
        Span<double> rel = small ? stackalloc double[n] : new double[n];
        DiversityMath.Normalize(relevance, NormalizeRelevance, rel);
        var take = selected.Length;
        Span<bool> chosen = small ? stackalloc bool[n] : new bool[n];
        Span<double> maxSim = small ? stackalloc double[n] : new double[n];
        for (var step = 0; step < take; step++)
        {
            var best = -1;
            var bestValue = double.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                if (chosen[i])
                {
                    continue;
                }

                // Before the first pick nothing is selected, so there is no redundancy penalty.
                var penalty = step == 0 ? 0 : maxSim[i];
                var value = (Lambda * rel[i]) - ((1 - Lambda) * penalty);
                if (value > bestValue || (value == bestValue && rel[i] > rel[best]))
                {
                    best = i;
                    bestValue = value;
                }
            }

            selected[step] = best;
            chosen[best] = true;
            for (var i = 0; i < n; i++)
            {
                if (!chosen[i])
                {
                    var s = similarity.Similarity(i, best);
                    maxSim[i] = step == 0 ? s : Math.Max(maxSim[i], s);
                }
            }
        }
    }
}

internal interface ISimilarity
{
    double Similarity(int a, int b);
}

internal readonly struct CosineSimilarity(float[] unitRows, int dimension) : ISimilarity
{
    public double Similarity(int a, int b) =>
        TensorPrimitives.Dot(
            new ReadOnlySpan<float>(unitRows, a * dimension, dimension),
            new ReadOnlySpan<float>(unitRows, b * dimension, dimension));
}

internal readonly struct MatrixSimilarity(double[] similarities, int n) : ISimilarity
{
    public double Similarity(int a, int b) => similarities[(a * n) + b];
}

internal readonly struct DelegateSimilarity(Func<int, int, double> similarity) : ISimilarity
{
    public double Similarity(int a, int b) => similarity(a, b);
}
