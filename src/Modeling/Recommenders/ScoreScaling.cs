using System.Numerics.Tensors;

namespace Cohortly.Modeling.Recommenders;

/// <summary>Puts scores from different models on one scale before they are blended or fed to a ranker.</summary>
internal static class ScoreScaling
{
    /// <summary>Zero mean, unit variance over the items; constant scores become 0.</summary>
    public static void Standardize(Span<float> part)
    {
        var n = part.Length;
        if (n == 0)
        {
            return;
        }

        var mean = TensorPrimitives.Sum<float>(part) / n;
        TensorPrimitives.Subtract(part, mean, part);
        var std = TensorPrimitives.Norm(part) / MathF.Sqrt(n);
        if (std > 0)
        {
            TensorPrimitives.Multiply(part, 1 / std, part);
        }
        else
        {
            part.Clear();
        }
    }
}
