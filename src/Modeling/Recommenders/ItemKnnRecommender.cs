using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Recommenders;

public sealed record ItemKnnOptions
{
    /// <summary>Neighbours kept per item.</summary>
    public int Neighbors { get; init; } = 100;

    /// <summary>Shrinkage added to the cosine denominator: pairs with little co-occurrence count less.</summary>
    public float Shrinkage { get; init; } = 10f;

    /// <summary>
    /// Asymmetric cosine exponent: sim(j, i) = overlap / (‖U_j‖^(2a)·‖U_i‖^(2(1−a)) + shrink); 0.5 is the plain cosine.
    /// Higher values favour popular neighbours.
    /// </summary>
    public float Asymmetry { get; init; } = 0.5f;

    /// <summary>Weights each user's contribution by log(items / user's item count), so heavy users count less.</summary>
    public bool InverseUserFrequency { get; init; }

    /// <summary>
    /// How the neighbour weights are fitted: the cosine above, or EASE's item-item regression truncated to the
    /// <see cref="Neighbors"/> largest weights per item (same lists, same scoring; shrinkage, asymmetry and IUF unused).
    /// </summary>
    public ItemNeighborFit Fit { get; init; } = ItemNeighborFit.Cosine;

    /// <summary>EASE's λ (only with <see cref="ItemNeighborFit.Ease"/>).</summary>
    public float EaseRegularization { get; init; } = 250f;

    /// <summary>EASE's dense solve is refused above this many items (memory n², time n³).</summary>
    public int EaseMaxItems { get; init; } = 3_000;

    public int MaxDegreeOfParallelism { get; init; } = -1;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Neighbors);
        ArgumentOutOfRangeException.ThrowIfNegative(Shrinkage);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EaseRegularization);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EaseMaxItems);
        if (!Enum.IsDefined(Fit))
        {
            throw new ArgumentOutOfRangeException(nameof(Fit), Fit, "unknown neighbour fit");
        }

        if (Asymmetry is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Asymmetry), Asymmetry, "asymmetry must be within [0, 1]");
        }
    }
}

/// <summary>How an item-kNN model's neighbour weights were fitted.</summary>
public enum ItemNeighborFit
{
    /// <summary>Shrunk (asymmetric) cosine of the items' user vectors.</summary>
    Cosine = 0,

    /// <summary>EASE (Steck 2019), each item's column of B truncated to its largest weights.</summary>
    Ease = 1,
}

/// <summary>
/// Item-based collaborative filtering: cosine similarity between items' user vectors with shrinkage,
/// sim(i, j) = |U_i ∩ U_j| / (‖U_i‖·‖U_j‖ + shrink), keeping each item's top-k neighbours. A user's score for item j
/// sums the similarities of j's neighbours the user has interacted with. The neighbour lists are built in parallel,
/// one item per task, with a dense per-thread accumulator over co-occurring items. With
/// <see cref="ItemNeighborFit.Ease"/> the lists hold EASE's weights instead (ItemKnnRecommender.Ease.cs), scored by the
/// same code.
/// </summary>
public sealed partial class ItemKnnRecommender(ItemKnnOptions options) : IRecommender
{
    public const string KindName = "itemknn";
    /// <summary>2: the fit (cosine or EASE) and EASE's λ and item bound follow the IUF flag. 1 (still read): cosine.</summary>
    private const int FormatVersion = 2;
    private const int CosineOnlyFormat = 1;

    // Row i lists (j, sim) for every target j that has i among its neighbours, so scoring walks the user's items.
    private SparseMatrix _contributions = new(0, 0, [0], [], []);

    // Row j lists item j's neighbours: the transpose of the contributions, built on first use (writing the model, similar
    // items, explanations). A fitted model scores from the contributions alone, so training (and every configuration
    // the tuner tries) holds one k × items matrix, not two: with a tuned k in the thousands on a large catalog that is
    // gigabytes.
    private SparseMatrix? _neighbors;
    private SparseMatrix _history = new(0, 0, [0], [], []);

    public ItemKnnRecommender()
        : this(new ItemKnnOptions())
    {
    }

    public ItemKnnOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Kind => KindName;

    public int ItemCount => _contributions.Rows;

    public int UserCount => _history.Rows;

    /// <summary>Item j's neighbours, ascending by index.</summary>
    public ReadOnlySpan<int> NeighborItems(int item) => Neighbors.RowColumns(item);

    /// <summary>Similarities of <see cref="NeighborItems"/>, position by position.</summary>
    public ReadOnlySpan<float> NeighborSimilarities(int item) => Neighbors.RowValues(item);

    // Transposing the transpose gives the same rows in the same order (rows are visited in increasing order), so the
    // lazily built matrix is the one the fit used to keep. Two threads may both build it; either result is the same.
    // Read first without the initializer: its method-group argument is a new delegate per call (64 bytes, twice per
    // "because you viewed" reason on the serving path).
    private SparseMatrix Neighbors => Volatile.Read(ref _neighbors) ?? LazyInitializer.EnsureInitialized(ref _neighbors, _contributions.Transpose);

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Options.Validate();
        if (Options.Fit == ItemNeighborFit.Ease)
        {
            FitEase(data, cancellationToken);
            return;
        }

        var userItems = data.UserItems;
        var itemUsers = data.ItemUsers;
        var n = data.ItemCount;
        var userWeights = new float[data.UserCount];
        for (var u = 0; u < userWeights.Length; u++)
        {
            var count = userItems.RowLength(u);
            userWeights[u] = !Options.InverseUserFrequency ? 1f
                : count == 0 ? 0f
                : MathF.Max(1e-3f, MathF.Log((float)n / count));
        }

        // Squared norms of the item vectors; the exponents turn them into the (asymmetric) cosine denominator.
        var left = new float[n];
        var right = new float[n];
        var asymmetry = Options.Asymmetry;
        for (var i = 0; i < n; i++)
        {
            var sq = 0f;
            foreach (var u in itemUsers.RowColumns(i))
            {
                sq += userWeights[u] * userWeights[u];
            }

            left[i] = MathF.Pow(sq, asymmetry);
            right[i] = MathF.Pow(sq, 1 - asymmetry);
        }

        var k = Math.Min(Options.Neighbors, Math.Max(1, n - 1));
        var shrink = Options.Shrinkage;
        var lists = new (int[] Items, float[] Sims)[n];
        Parallel.For(
            0,
            n,
            Parallelism.Options(Options.MaxDegreeOfParallelism, cancellationToken),
            () => new Workspace(n, k),
            (j, _, ws) =>
            {
                var acc = ws.Accumulator;
                var touched = ws.Touched;
                touched.Clear();
                foreach (var u in itemUsers.RowColumns(j))
                {
                    var w = userWeights[u] * userWeights[u];
                    foreach (var i in userItems.RowColumns(u))
                    {
                        if (i == j)
                        {
                            continue;
                        }

                        if (acc[i] == 0)
                        {
                            touched.Add(i);
                        }

                        acc[i] += w;
                    }
                }

                var heap = ws.Heap;
                heap.Clear();
                foreach (var i in touched)
                {
                    var sim = acc[i] / ((left[j] * right[i]) + shrink);
                    acc[i] = 0;
                    if (sim > 0)
                    {
                        heap.Offer(i, sim);
                    }
                }

                var count = heap.Count;
                var items = new int[count];
                var sims = new float[count];
                heap.Drain(items, sims);
                Array.Sort(items, sims);
                lists[j] = (items, sims);
                return ws;
            },
            _ => { });

        _neighbors = null;
        _contributions = Contributions(lists, n);
        _history = userItems;
    }

    public void Score(int user, Span<float> scores)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)user, (uint)UserCount, nameof(user));
        ScoreItems(_history.RowColumns(user), scores);
    }

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores)
    {
        var n = ItemCount;
        scores[..n].Clear();
        foreach (var i in recentItems)
        {
            if ((uint)i >= (uint)n)
            {
                continue;
            }

            var targets = _contributions.RowColumns(i);
            var sims = _contributions.RowValues(i);
            for (var k = 0; k < targets.Length; k++)
            {
                scores[targets[k]] += sims[k];
            }
        }
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Options.Neighbors);
        writer.Write(Options.Shrinkage);
        writer.Write(Options.Asymmetry);
        writer.Write(Options.InverseUserFrequency);
        writer.Write((int)Options.Fit);
        writer.Write(Options.EaseRegularization);
        writer.Write(Options.EaseMaxItems);
        Neighbors.Write(writer);
        _history.Write(writer);
    }

    public static ItemKnnRecommender Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var format = reader.ReadInt32();
        if (format is not (FormatVersion or CosineOnlyFormat))
        {
            throw new InvalidDataException($"{KindName} model format version {format} is not supported (expected {CosineOnlyFormat} to {FormatVersion})");
        }

        var options = new ItemKnnOptions
        {
            Neighbors = reader.ReadInt32(),
            Shrinkage = reader.ReadSingle(),
            Asymmetry = reader.ReadSingle(),
            InverseUserFrequency = reader.ReadBoolean(),
        };
        if (format >= FormatVersion)
        {
            var fit = (ItemNeighborFit)reader.ReadInt32();
            if (!Enum.IsDefined(fit))
            {
                throw new InvalidDataException($"{KindName} model has an unknown neighbour fit {(int)fit}");
            }

            options = options with { Fit = fit, EaseRegularization = reader.ReadSingle(), EaseMaxItems = reader.ReadInt32() };
        }

        var neighbors = SparseMatrix.Read(reader);
        return new ItemKnnRecommender(options)
        {
            _neighbors = neighbors,
            _contributions = neighbors.Transpose(),
            _history = SparseMatrix.Read(reader),
        };
    }

    /// <summary>
    /// The contributions matrix (row i: every j that has i among its neighbours, ascending j) straight from the
    /// per-item neighbour lists, as the transpose of the neighbours matrix they form; each list is let go once copied,
    /// so the lists, the neighbours matrix and its transpose are no longer held at once.
    /// </summary>
    private static SparseMatrix Contributions((int[] Items, float[] Sims)[] lists, int n)
    {
        var ptr = new int[n + 1];
        foreach (var (items, _) in lists)
        {
            foreach (var i in items)
            {
                ptr[i + 1]++;
            }
        }

        for (var i = 0; i < n; i++)
        {
            ptr[i + 1] += ptr[i];
        }

        var next = ptr[..n];
        var cols = new int[ptr[n]];
        var vals = new float[ptr[n]];
        for (var j = 0; j < n; j++)
        {
            var (items, sims) = lists[j];
            for (var x = 0; x < items.Length; x++)
            {
                var p = next[items[x]]++;
                cols[p] = j;
                vals[p] = sims[x];
            }

            lists[j] = default;
        }

        return new SparseMatrix(n, n, ptr, cols, vals);
    }

    private sealed class Workspace(int items, int k)
    {
        public float[] Accumulator { get; } = new float[items];

        public List<int> Touched { get; } = [];

        public TopKHeap Heap { get; } = new(k);
    }
}
