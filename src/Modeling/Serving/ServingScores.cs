using System.Buffers;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// What the scoring stage (or the cold start) leaves for the later stages: one score per item of the bundle, the
/// strategy that produced them, the blend weights, and each signal's weighted-in part for the explanations (null for
/// a cold start). Both arrays are rented; the pipeline owns the value and disposes it once.
/// </summary>
internal readonly struct ServingScores : IDisposable
{
    private readonly float[] _total;
    private readonly int _itemCount;

    public ServingScores(string strategy, float[] weights, float[] total, int itemCount, float[]? parts)
    {
        Strategy = strategy;
        Weights = weights;
        _total = total;
        _itemCount = itemCount;
        Parts = parts;
    }

    public string Strategy { get; }

    /// <summary>The blend weights of the user's group (the last one is the cohort popularity's).</summary>
    public float[] Weights { get; }

    /// <summary>Every item's score, indexed like the bundle's items.</summary>
    public Span<float> Total => _total.AsSpan(0, _itemCount);

    /// <summary>Signal s's standardized score of item i at [s × n + i]; null for a cold start.</summary>
    public float[]? Parts { get; }

    /// <summary>Rents the score buffer for <paramref name="itemCount"/> items.</summary>
    public static float[] RentTotal(int itemCount) => ArrayPool<float>.Shared.Rent(Math.Max(1, itemCount));

    public void Dispose()
    {
        if (_total is not null)
        {
            ArrayPool<float>.Shared.Return(_total);
        }

        if (Parts is not null)
        {
            ArrayPool<float>.Shared.Return(Parts);
        }
    }
}
