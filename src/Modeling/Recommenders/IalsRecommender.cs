using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Recommenders;

public sealed record IalsOptions
{
    public int Factors { get; init; } = 64;

    public int Iterations { get; init; } = 15;

    /// <summary>L2 penalty λ on every user and item vector.</summary>
    public float Regularization { get; init; } = 1f;

    /// <summary>
    /// Frequency scaling ν of λ (Rendle et al., "Revisiting the performance of iALS"): a row's penalty is
    /// λ·(m_row / mean m)^ν with m_row = (items in the other side) + α·Σr, the row's total confidence mass.
    /// 0 gives the same λ to every row.
    /// </summary>
    public float RegularizationExponent { get; init; }

    /// <summary>
    /// Weight of a missing pair grows with the item's popularity as count^γ, normalised to a mean of one over the
    /// items (He et al., "Fast matrix factorization for online recommendation with implicit feedback"): a popular
    /// item the user skipped is a stronger negative than an obscure one. 0 weighs every missing pair 1.
    /// </summary>
    public float UnobservedPopularityExponent { get; init; }

    /// <summary>Confidence of an observed pair is 1 + α·r.</summary>
    public float Alpha { get; init; } = 10f;

    /// <summary>Conjugate-gradient steps per row and half-iteration (warm-started from the previous vector).</summary>
    public int ConjugateGradientSteps { get; init; } = 3;

    /// <summary>Initial factors are normal with standard deviation InitialScale / sqrt(Factors).</summary>
    public float InitialScale { get; init; } = 0.1f;

    /// <summary>Use interaction values as r (summed per pair) instead of 1 for every observed pair.</summary>
    public bool UseValues { get; init; }

    public int MaxDegreeOfParallelism { get; init; } = -1;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Factors);
        ArgumentOutOfRangeException.ThrowIfNegative(Iterations);
        ArgumentOutOfRangeException.ThrowIfNegative(Regularization);
        ArgumentOutOfRangeException.ThrowIfNegative(Alpha);
        ArgumentOutOfRangeException.ThrowIfNegative(RegularizationExponent);
        ArgumentOutOfRangeException.ThrowIfNegative(UnobservedPopularityExponent);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ConjugateGradientSteps);
    }
}

/// <summary>
/// Implicit-feedback matrix factorization (Hu, Koren and Volinsky): minimises Σ c_ui (p_ui − x_u·y_i)² + λ(‖x‖² + ‖y‖²)
/// over all pairs, with p = 1 and c = 1 + α·r for observed pairs and p = 0, c = 1 elsewhere. Each half-iteration
/// solves every row's normal equations with a few warm-started conjugate-gradient steps (Takács et al.), using the
/// shared Gramian YᵀY so a row costs O(f² + n_u·f) per step. Rows are independent, so the result does not depend on
/// the thread count.
/// </summary>
public sealed class IalsRecommender(IalsOptions options) : IRecommender
{
    public const string KindName = "ials";
    private const int FormatVersion = 1;

    private float[] _userFactors = [];
    private float[] _itemFactors = [];
    private PackedRows _packedItems = MatrixVector.Pack([], 0, 0); // the item factors as 8-bit panels, for scoring every item
    private double[] _foldInBase = []; // YᵀY + λI of the final item factors
    private int _users;
    private int _items;
    private float[] _missingWeights = []; // per item; empty = every missing pair weighs 1
    private double _meanUserMass; // mean confidence mass of the training users (fold-in scales λ like training did)

    public IalsRecommender()
        : this(new IalsOptions())
    {
    }

    public IalsOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Kind => KindName;

    public int ItemCount => _items;

    public int UserCount => _users;

    public int Factors => Options.Factors;

    public ReadOnlySpan<float> UserFactors(int user) => _userFactors.AsSpan(user * Factors, Factors);

    public ReadOnlySpan<float> ItemFactors(int item) => _itemFactors.AsSpan(item * Factors, Factors);

    /// <summary>All item factors, row-major items × factors (for candidate retrieval or diversity).</summary>
    public ReadOnlySpan<float> AllItemFactors => _itemFactors;

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        Options.Validate();
        var f = Options.Factors;
        var userItems = Options.UseValues ? data.UserItemValues : data.UserItems;
        var itemUsers = Options.UseValues ? userItems.Transpose() : data.ItemUsers;
        _users = data.UserCount;
        _items = data.ItemCount;
        _userFactors = new float[_users * f];
        _itemFactors = new float[_items * f];
        var scale = Options.InitialScale / Math.Sqrt(f);
        FillNormal(_itemFactors, scale, random);
        FillNormal(_userFactors, scale, random);
        var parallel = Parallelism.Options(Options.MaxDegreeOfParallelism, cancellationToken);
        _missingWeights = MissingWeights(itemUsers, Options.UnobservedPopularityExponent);
        float[]? missing = _missingWeights.Length == 0 ? null : _missingWeights;
        for (var it = 0; it < Options.Iterations; it++)
        {
            // Items first, users last: the final user vectors are then fitted to the final item vectors, which is
            // what fold-in reproduces at serving time. An item row's missing pairs all carry that item's weight
            // (a scale on XᵀX); a user row's carry each item's weight (a weighted YᵀY).
            SolveSide(itemUsers, _userFactors, _users, _itemFactors, parallel, gramWeights: null, rowScales: missing, columnWeights: null);
            SolveSide(userItems, _itemFactors, _items, _userFactors, parallel, gramWeights: missing, rowScales: null, columnWeights: missing);
        }

        _meanUserMass = MeanMass(userItems, _items, Options.Alpha);
        _foldInBase = FoldInBase(Gramian(_itemFactors, _items, f, parallel, missing), f, Options.Regularization);
        _packedItems = MatrixVector.Pack(_itemFactors, _items, f);
    }

    private static float[] MissingWeights(SparseMatrix itemUsers, float exponent)
    {
        if (exponent == 0 || itemUsers.Rows == 0)
        {
            return [];
        }

        var weights = new float[itemUsers.Rows];
        var sum = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)Math.Pow(itemUsers.RowLength(i), exponent);
            sum += weights[i];
        }

        if (sum <= 0)
        {
            return [];
        }

        var scale = (float)(weights.Length / sum);
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] *= scale;
        }

        return weights;
    }

    private static double MeanMass(SparseMatrix rows, int columns, float alpha)
    {
        var total = 0.0;
        foreach (var v in rows.Values)
        {
            total += v;
        }

        return rows.Rows == 0 ? 0 : columns + (alpha * total / rows.Rows);
    }

    public void Score(int user, Span<float> scores)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)user, (uint)_users, nameof(user));
        ScoreVector(UserFactors(user), scores);
    }

    /// <summary>
    /// Scores every item as the dot product of a user vector (e.g. one from <see cref="FoldIn"/>) with the item's
    /// factors as stored for scoring: 8-bit codes times a per-item scale (<see cref="MatrixVector"/>).
    /// </summary>
    public void ScoreVector(ReadOnlySpan<float> userVector, Span<float> scores)
    {
        var f = Factors;
        if (userVector.Length != f || scores.Length < _items)
        {
            throw new ArgumentException("vector or score span has the wrong length");
        }

        if (_items == 0)
        {
            return;
        }

        MatrixVector.Multiply(_packedItems, userVector, scores[.._items]);
    }

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores)
    {
        Span<float> x = stackalloc float[Factors];
        FoldIn(recentItems, x);
        ScoreVector(x, scores);
    }

    /// <summary>
    /// The user vector the model would learn from these items (each an observed pair with r = 1) with the item
    /// factors fixed: one exact f×f solve, no retraining. Indices outside the model (newer items) are ignored.
    /// </summary>
    public void FoldIn(ReadOnlySpan<int> items, Span<float> userVector) => FoldIn(items, default, userVector);

    /// <summary>As <see cref="FoldIn(ReadOnlySpan{int}, Span{float})"/>, with a value r per item (empty = all 1).</summary>
    public void FoldIn(ReadOnlySpan<int> items, ReadOnlySpan<float> values, Span<float> userVector)
    {
        var f = Factors;
        if (userVector.Length != f)
        {
            throw new ArgumentException($"user vector must have {f} entries", nameof(userVector));
        }

        if (!values.IsEmpty && values.Length != items.Length)
        {
            throw new ArgumentException("one value per item is required", nameof(values));
        }

        // Serving path: pooled buffers, no per-call allocation.
        var aBuffer = ArrayPool<double>.Shared.Rent(f * f);
        var bBuffer = ArrayPool<double>.Shared.Rent(2 * f);
        int[]? sorted = null;
        try
        {
            var a = aBuffer.AsSpan(0, f * f);
            var b = bBuffer.AsSpan(0, f);
            var y = bBuffer.AsSpan(f, f);
            _foldInBase.CopyTo(a);
            b.Clear();
            var list = items;
            if (values.IsEmpty)
            {
                // Binary feedback: a repeated item is still one observed pair.
                sorted = ArrayPool<int>.Shared.Rent(items.Length);
                var s = sorted.AsSpan(0, items.Length);
                items.CopyTo(s);
                s.Sort();
                list = s;
            }

            var alpha = Options.Alpha;
            var valueSum = 0.0;
            var previous = -1;
            for (var k = 0; k < list.Length; k++)
            {
                var item = list[k];
                if ((uint)item >= (uint)_items || (values.IsEmpty && item == previous))
                {
                    continue;
                }

                previous = item;
                var r = values.IsEmpty ? 1f : values[k];
                valueSum += r;
                var confidence = 1 + (alpha * r);
                var w = _missingWeights.Length == 0 ? alpha * r : confidence - _missingWeights[item];
                TensorPrimitives.ConvertChecked<float, double>(ItemFactors(item), y);
                TensorPrimitives.MultiplyAdd(y, confidence, b, b);
                // Only the lower triangle: the base is symmetric and the Cholesky solve reads nothing else.
                DenseLinearAlgebra.AddLowerOuterProduct(a, f, y, w);
            }

            // The base holds YᵀY + λI; swap in this row's own λ when it is frequency-scaled.
            var lambda = UserRegularization(valueSum);
            if (lambda != Options.Regularization)
            {
                for (var p = 0; p < f; p++)
                {
                    a[(p * f) + p] += lambda - Options.Regularization;
                }
            }

            DenseLinearAlgebra.CholeskySolveInPlace(a, f, b);
            for (var p = 0; p < f; p++)
            {
                userVector[p] = (float)b[p];
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(aBuffer);
            ArrayPool<double>.Shared.Return(bBuffer);
            if (sorted is not null)
            {
                ArrayPool<int>.Shared.Return(sorted);
            }
        }
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Options.Factors);
        writer.Write(Options.Iterations);
        writer.Write(Options.Regularization);
        writer.Write(Options.Alpha);
        writer.Write(Options.ConjugateGradientSteps);
        writer.Write(Options.InitialScale);
        writer.Write(Options.UseValues);
        writer.Write(Options.RegularizationExponent);
        writer.Write(Options.UnobservedPopularityExponent);
        writer.Write(_meanUserMass);
        writer.Write(_users);
        writer.Write(_items);
        BinaryArrays.Write(writer, _userFactors);
        BinaryArrays.Write(writer, _itemFactors);
        writer.Write(_missingWeights.Length);
        BinaryArrays.Write(writer, _missingWeights);
    }

    public static IalsRecommender Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, KindName);
        var options = new IalsOptions
        {
            Factors = reader.ReadInt32(),
            Iterations = reader.ReadInt32(),
            Regularization = reader.ReadSingle(),
            Alpha = reader.ReadSingle(),
            ConjugateGradientSteps = reader.ReadInt32(),
            InitialScale = reader.ReadSingle(),
            UseValues = reader.ReadBoolean(),
            RegularizationExponent = reader.ReadSingle(),
            UnobservedPopularityExponent = reader.ReadSingle(),
        };
        options.Validate();
        var meanUserMass = reader.ReadDouble();
        var users = reader.ReadInt32();
        var items = reader.ReadInt32();
        var f = options.Factors;
        var model = new IalsRecommender(options)
        {
            _users = users,
            _items = items,
            _meanUserMass = meanUserMass,
            _userFactors = BinaryArrays.ReadSingle(reader, checked(users * f)),
            _itemFactors = BinaryArrays.ReadSingle(reader, checked(items * f)),
        };
        var missingCount = reader.ReadInt32();
        if (missingCount != 0 && missingCount != items)
        {
            throw new InvalidDataException("ials missing-pair weights do not match the item count");
        }

        model._missingWeights = BinaryArrays.ReadSingle(reader, missingCount);
        float[]? missing = missingCount == 0 ? null : model._missingWeights;
        model._foldInBase = FoldInBase(Gramian(model._itemFactors, items, f, Parallelism.Options(-1, default), missing), f, options.Regularization);
        model._packedItems = MatrixVector.Pack(model._itemFactors, items, f);
        return model;
    }

    private void SolveSide(SparseMatrix rows, float[] fixedFactors, int fixedCount, float[] target, ParallelOptions parallel, float[]? gramWeights, float[]? rowScales, float[]? columnWeights)
    {
        var f = Options.Factors;
        var gram = Gramian(fixedFactors, fixedCount, f, parallel, gramWeights);
        var alpha = Options.Alpha;
        var steps = Options.ConjugateGradientSteps;
        var lambdas = RowRegularization(rows, fixedCount, rowScales);
        Parallel.For(
            0,
            rows.Rows,
            parallel,
            () => new CgWorkspace(f),
            (r, _, ws) =>
            {
                var scale = rowScales is null ? 1f : rowScales[r];
                SolveRow(r, rows, fixedFactors, gram, target.AsSpan(r * f, f), lambdas[r], alpha, steps, scale, columnWeights, ws);
                return ws;
            },
            _ => { });
    }

    private float UserRegularization(double valueSum)
    {
        if (Options.RegularizationExponent == 0 || _meanUserMass <= 0)
        {
            return Options.Regularization;
        }

        var mass = _items + (Options.Alpha * valueSum);
        return (float)(Options.Regularization * Math.Pow(mass / _meanUserMass, Options.RegularizationExponent));
    }

    private float[] RowRegularization(SparseMatrix rows, int fixedCount, float[]? rowScales)
    {
        var lambdas = new float[rows.Rows];
        var nu = Options.RegularizationExponent;
        if (nu == 0)
        {
            Array.Fill(lambdas, Options.Regularization);
            return lambdas;
        }

        var mass = new double[rows.Rows];
        var mean = 0.0;
        for (var r = 0; r < rows.Rows; r++)
        {
            var sum = 0.0;
            foreach (var v in rows.RowValues(r))
            {
                sum += v;
            }

            mass[r] = ((rowScales is null ? 1f : rowScales[r]) * fixedCount) + (Options.Alpha * sum);
            mean += mass[r];
        }

        mean /= Math.Max(1, rows.Rows);
        for (var r = 0; r < rows.Rows; r++)
        {
            lambdas[r] = (float)(Options.Regularization * Math.Pow(mass[r] / mean, nu));
        }

        return lambdas;
    }

    // Optimised at first call: training runs once per process, so tiered JIT would spend it in slow code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SolveRow(int row, SparseMatrix rows, float[] fixedFactors, float[] gram, Span<float> x, float lambda, float alpha, int steps, float scale, float[]? columnWeights, CgWorkspace ws)
    {
        var f = x.Length;
        var cols = rows.RowColumns(row);
        var vals = rows.RowValues(row);
        var yAll = fixedFactors.AsSpan();
        var b = ws.B.AsSpan();
        var r = ws.R.AsSpan();
        var p = ws.P.AsSpan();
        var ap = ws.Ap.AsSpan();
        b.Clear();
        for (var k = 0; k < cols.Length; k++)
        {
            TensorPrimitives.MultiplyAdd(yAll.Slice(cols[k] * f, f), 1 + (alpha * vals[k]), b, b);
        }

        MultiplyA(x, ap, cols, vals, yAll, gram, lambda, alpha, scale, columnWeights);
        TensorPrimitives.Subtract(b, ap, r);
        r.CopyTo(p);
        var rsOld = TensorPrimitives.Dot(r, r);
        for (var s = 0; s < steps && rsOld > 1e-20f; s++)
        {
            MultiplyA(p, ap, cols, vals, yAll, gram, lambda, alpha, scale, columnWeights);
            var pAp = TensorPrimitives.Dot(p, ap);
            if (!(pAp > 0))
            {
                break;
            }

            var step = rsOld / pAp;
            TensorPrimitives.MultiplyAdd(p, step, x, x);
            TensorPrimitives.MultiplyAdd(ap, -step, r, r);
            var rsNew = TensorPrimitives.Dot(r, r);
            TensorPrimitives.MultiplyAdd(p, rsNew / rsOld, r, p);
            rsOld = rsNew;
        }
    }

    // result = (s·G + λI + Σ_k (1 + α r_k − c_k) y_k y_kᵀ) v, never forming the row's own matrix; G is the (weighted)
    // Gramian, s the row's missing-pair weight and c_k the missing-pair weight the observed pair replaces.
    // Optimised at first call: training runs once per process, so tiered JIT would spend it in slow code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyA(ReadOnlySpan<float> v, Span<float> result, ReadOnlySpan<int> cols, ReadOnlySpan<float> vals, ReadOnlySpan<float> y, float[] gram, float lambda, float alpha, float scale, float[]? columnWeights)
    {
        var f = v.Length;
        var g = gram.AsSpan();
        for (var a = 0; a < f; a++)
        {
            result[a] = (scale * TensorPrimitives.Dot(g.Slice(a * f, f), v)) + (lambda * v[a]);
        }

        for (var k = 0; k < cols.Length; k++)
        {
            var yk = y.Slice(cols[k] * f, f);
            var extra = columnWeights is null ? (alpha * vals[k]) + (1 - scale) : 1 + (alpha * vals[k]) - columnWeights[cols[k]];
            TensorPrimitives.MultiplyAdd(yk, extra * TensorPrimitives.Dot(yk, v), result, result);
        }
    }

    /// <summary>
    /// FᵀWF for row-major F (count × f) and diagonal weights W (null = identity), computed on a transposed copy
    /// scaled by √w so each entry is one long dot product.
    /// </summary>
    // Optimised at first call: training runs once per process, so tiered JIT would spend it in slow code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] Gramian(float[] factors, int count, int f, ParallelOptions parallel, float[]? weights = null)
    {
        var transposed = new float[f * count];
        for (var i = 0; i < count; i++)
        {
            var root = weights is null ? 1f : MathF.Sqrt(weights[i]);
            for (var a = 0; a < f; a++)
            {
                transposed[(a * count) + i] = factors[(i * f) + a] * root;
            }
        }

        var gram = new float[f * f];
        Parallel.For(0, f, parallel, a =>
        {
            var ra = transposed.AsSpan(a * count, count);
            for (var b = a; b < f; b++)
            {
                var d = TensorPrimitives.Dot(ra, transposed.AsSpan(b * count, count));
                gram[(a * f) + b] = d;
                gram[(b * f) + a] = d;
            }
        });
        return gram;
    }

    private static double[] FoldInBase(float[] gram, int f, float lambda)
    {
        var result = new double[f * f];
        for (var k = 0; k < result.Length; k++)
        {
            result[k] = gram[k];
        }

        for (var a = 0; a < f; a++)
        {
            result[(a * f) + a] += lambda;
        }

        return result;
    }

    private static void FillNormal(float[] values, double scale, Random random)
    {
        for (var i = 0; i < values.Length; i++)
        {
            // Box-Muller; 1 - NextDouble() is in (0, 1] so the log is finite.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            values[i] = (float)(scale * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    private sealed class CgWorkspace(int f)
    {
        public float[] B { get; } = new float[f];

        public float[] R { get; } = new float[f];

        public float[] P { get; } = new float[f];

        public float[] Ap { get; } = new float[f];
    }
}
