using System.Numerics.Tensors;
using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Recommenders;

public sealed record EaseOptions
{
    /// <summary>λ added to the Gram diagonal.</summary>
    public float Regularization { get; init; } = 250f;

    /// <summary>The dense n×n solve is refused above this many items (memory grows as n², time as n³).</summary>
    public int MaxItems { get; init; } = 20_000;

    public int MaxDegreeOfParallelism { get; init; } = -1;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Regularization);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxItems);
    }
}

/// <summary>
/// EASE (Steck 2019): the item-item weight matrix B minimising ‖X − XB‖² + λ‖B‖² with a zero diagonal, in closed
/// form B = I − P·diag(1/diag(P)) for P = (XᵀX + λI)⁻¹. The Gram matrix and the inverse are computed in double
/// precision; B is kept in single precision. Only for catalogs up to a few ten thousand items.
/// </summary>
public sealed class EaseRecommender(EaseOptions options) : IRecommender
{
    public const string KindName = "ease";
    private const int FormatVersion = 1;

    private float[] _weights = []; // n×n, row i = what item i contributes to every item
    private SparseMatrix _history = new(0, 0, [0], [], []);
    private int _items;

    public EaseRecommender()
        : this(new EaseOptions())
    {
    }

    public EaseOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Kind => KindName;

    public int ItemCount => _items;

    public int UserCount => _history.Rows;

    public ReadOnlySpan<float> WeightsFrom(int item) => _weights.AsSpan(item * _items, _items);

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Options.Validate();
        var n = data.ItemCount;
        if (n > Options.MaxItems)
        {
            throw new InvalidOperationException($"EASE needs a dense {n}x{n} inverse; the limit is {Options.MaxItems} items");
        }

        var userItems = data.UserItems;
        var itemUsers = data.ItemUsers;
        var parallel = Parallelism.Options(Options.MaxDegreeOfParallelism, cancellationToken);
        var g = new double[(long)n * n];
        Parallel.For(0, n, parallel, i =>
        {
            var row = g.AsSpan(i * n, n);
            foreach (var u in itemUsers.RowColumns(i))
            {
                foreach (var j in userItems.RowColumns(u))
                {
                    row[j] += 1;
                }
            }

            row[i] += Options.Regularization;
        });

        DenseLinearAlgebra.InvertSpdInPlace(g, n, parallel);
        var weights = new float[(long)n * n];
        Parallel.For(0, n, parallel, i =>
        {
            for (var j = 0; j < n; j++)
            {
                weights[(i * n) + j] = i == j ? 0f : (float)(-g[(i * n) + j] / g[(j * n) + j]);
            }
        });

        _weights = weights;
        _items = n;
        _history = userItems;
    }

    public void Score(int user, Span<float> scores)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)user, (uint)UserCount, nameof(user));
        ScoreItems(_history.RowColumns(user), scores);
    }

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores)
    {
        var n = _items;
        var s = scores[..n];
        s.Clear();
        foreach (var i in recentItems)
        {
            if ((uint)i < (uint)n)
            {
                TensorPrimitives.Add(s, _weights.AsSpan(i * n, n), s);
            }
        }
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Options.Regularization);
        writer.Write(Options.MaxItems);
        writer.Write(_items);
        BinaryArrays.Write(writer, _weights);
        _history.Write(writer);
    }

    public static EaseRecommender Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, KindName);
        var options = new EaseOptions { Regularization = reader.ReadSingle(), MaxItems = reader.ReadInt32() };
        var n = reader.ReadInt32();
        return new EaseRecommender(options)
        {
            _items = n,
            _weights = BinaryArrays.ReadSingle(reader, checked(n * n)),
            _history = SparseMatrix.Read(reader),
        };
    }
}
