using System.Numerics.Tensors;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Diversity;

/// <summary>
/// Greedy MAP inference for a determinantal point process (Chen, Zhang &amp; Zhou, NeurIPS 2018).
/// The kernel is L = diag(q) · S · diag(q) with S the cosine similarity of the item vectors and
/// q_i = exp(α·r_i), α = λ / (2(1 − λ)), so log det L_Y = 2α·Σ r + log det S_Y: λ weighs total
/// relevance against the volume the chosen vectors span. Each step picks the item with the largest
/// marginal gain in log det; the gains are kept current by extending an incremental Cholesky factor,
/// so k picks from n items cost O(n·k·(k + d)) instead of a determinant per candidate.
/// </summary>
public sealed class GreedyDpp : IDiversifier
{
    /// <param name="lambda">1 = relevance order; 0 = pure diversity (maximum volume).</param>
    /// <param name="normalizeRelevance">Min–max scale relevance to [0, 1] first, so α has a fixed meaning.</param>
    /// <param name="epsilon">Stop the determinant greedy when the best gain (a squared residual) falls below this.</param>
    public GreedyDpp(double lambda, bool normalizeRelevance = true, double epsilon = 1e-9)
    {
        DiversityMath.ValidateLambda(lambda);
        ArgumentOutOfRangeException.ThrowIfNegative(epsilon);
        Lambda = lambda;
        NormalizeRelevance = normalizeRelevance;
        Epsilon = epsilon;
    }

    public double Lambda { get; }

    public bool NormalizeRelevance { get; }

    public double Epsilon { get; }

    /// <summary>
    /// When the remaining candidates add no volume (duplicates, zero vectors, or k above the rank
    /// of S), the rest of the k positions are filled by relevance.
    /// </summary>
    public int[] Select(ReadOnlySpan<double> relevance, FeatureMatrix itemVectors, int k)
    {
        DiversityMath.Validate(relevance.Length, itemVectors, k);
        var n = relevance.Length;
        var take = Math.Min(k, n);
        var rel = DiversityMath.Normalize(relevance, NormalizeRelevance);
        if (Lambda >= 1)
        {
            // α → ∞: relevance dominates every determinant term.
            return DiversityMath.RelevanceOrder(rel).AsSpan(0, take).ToArray();
        }

        var unit = DiversityMath.UnitRows(itemVectors);
        var dim = itemVectors.Columns;
        var alpha = Lambda / (2 * (1 - Lambda));
        var maxRel = n > 0 ? TensorPrimitives.Max<double>(rel) : 0;
        // Shifting by the maximum rescales det L_Y by a constant per size, which leaves the argmax alone
        // and keeps exp() from overflowing.
        var q = new double[n];
        var gains = new double[n];
        for (var i = 0; i < n; i++)
        {
            q[i] = Math.Exp(alpha * (rel[i] - maxRel));
            var self = TensorPrimitives.Dot(Row(unit, i, dim), Row(unit, i, dim));
            gains[i] = q[i] * q[i] * self;
        }

        // c[i*take .. i*take + t) holds item i's row of the Cholesky factor built so far.
        var c = new double[n * Math.Max(take, 1)];
        var chosen = new bool[n];
        var selected = new List<int>(take);
        while (selected.Count < take)
        {
            var j = ArgMaxGain(gains, chosen, rel);
            if (j < 0 || gains[j] < Epsilon)
            {
                break;
            }

            var t = selected.Count;
            selected.Add(j);
            chosen[j] = true;
            if (selected.Count == take)
            {
                break;
            }

            var dj = Math.Sqrt(gains[j]);
            var cj = new ReadOnlySpan<double>(c, j * take, t);
            for (var i = 0; i < n; i++)
            {
                if (chosen[i])
                {
                    continue;
                }

                var lji = q[j] * q[i] * TensorPrimitives.Dot(Row(unit, j, dim), Row(unit, i, dim));
                var e = (lji - TensorPrimitives.Dot(cj, new ReadOnlySpan<double>(c, i * take, t))) / dj;
                c[(i * take) + t] = e;
                gains[i] -= e * e;
            }
        }

        if (selected.Count < take)
        {
            foreach (var i in DiversityMath.RelevanceOrder(rel))
            {
                if (!chosen[i])
                {
                    selected.Add(i);
                    chosen[i] = true;
                    if (selected.Count == take)
                    {
                        break;
                    }
                }
            }
        }

        return selected.ToArray();
    }

    private static ReadOnlySpan<float> Row(float[] unit, int i, int dim) => new(unit, i * dim, dim);

    private static int ArgMaxGain(double[] gains, bool[] chosen, double[] rel)
    {
        var best = -1;
        for (var i = 0; i < gains.Length; i++)
        {
            if (chosen[i])
            {
                continue;
            }

            if (best < 0 || gains[i] > gains[best] || (gains[i] == gains[best] && rel[i] > rel[best]))
            {
                best = i;
            }
        }

        return best;
    }
}
