using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Evaluation;

public sealed record RankingEvaluatorOptions
{
    public int K { get; init; } = 10;

    /// <summary>Group label per user (-1 = none) for per-group metrics; null for overall only.</summary>
    public int[]? UserGroups { get; init; }

    /// <summary>Similarity behind intra-list diversity; null reports diversity as NaN.</summary>
    public IItemSimilarity? Similarity { get; init; }

    public bool ComputeBeyondAccuracy { get; init; } = true;

    public int MaxDegreeOfParallelism { get; init; } = -1;
}

/// <summary>
/// Full-ranking evaluation (RecBole's "full" mode): for every user with at least one relevant item, the model scores all
/// items, the user's known items are excluded, the top k are kept with a small heap, and binary-relevance metrics are
/// averaged over users. Users are scored in parallel; per-user results are summed in user order, so the result does
/// not depend on the thread count.
/// </summary>
public sealed class RankingEvaluator
{
    private readonly SparseMatrix _excluded;
    private readonly SparseMatrix _relevant;
    private readonly double[] _selfInformation;
    private readonly int[] _users;

    /// <param name="excluded">User→items that must not be recommended (the items the model was fitted on, and more).</param>
    /// <param name="relevant">User→items that count as hits.</param>
    /// <param name="popularity">User→items whose per-item user counts define novelty (usually the training part).</param>
    public RankingEvaluator(SparseMatrix excluded, SparseMatrix relevant, SparseMatrix popularity, RankingEvaluatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(excluded);
        ArgumentNullException.ThrowIfNull(relevant);
        ArgumentNullException.ThrowIfNull(popularity);
        Options = options ?? new RankingEvaluatorOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.K);
        if (excluded.Rows != relevant.Rows || excluded.Columns != relevant.Columns)
        {
            throw new ArgumentException("excluded and relevant matrices must have the same shape");
        }

        if (Options.UserGroups is { } g && g.Length != relevant.Rows)
        {
            throw new ArgumentException($"expected {relevant.Rows} user groups, got {g.Length}");
        }

        _excluded = excluded;
        _relevant = relevant;
        var users = new List<int>();
        for (var u = 0; u < relevant.Rows; u++)
        {
            if (relevant.RowLength(u) > 0)
            {
                users.Add(u);
            }
        }

        _users = [.. users];
        var counts = new int[relevant.Columns];
        foreach (var i in popularity.ColumnIndices)
        {
            counts[i]++;
        }

        var userCount = Math.Max(1, popularity.Rows);
        _selfInformation = new double[counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            // An item nobody had is as novel as one seen once.
            _selfInformation[i] = -Math.Log2(Math.Max(1, counts[i]) / (double)userCount);
        }
    }

    public RankingEvaluatorOptions Options { get; }

    public int ItemCount => _relevant.Columns;

    /// <summary>Users that are evaluated (those with at least one relevant item).</summary>
    public ReadOnlySpan<int> EvaluatedUsers => _users;

    /// <summary>Validation: exclude training items, hits are validation items.</summary>
    public static RankingEvaluator ForValidation(DatasetSplit split, RankingEvaluatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        var train = SparseMatrix.UserItem(split.Train);
        return new RankingEvaluator(train, SparseMatrix.UserItem(split.Validation), train, WithDefaultSimilarity(options, train));
    }

    /// <summary>Test: exclude training and validation items (as RecBole does), hits are test items.</summary>
    public static RankingEvaluator ForTest(DatasetSplit split, RankingEvaluatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        var train = SparseMatrix.UserItem(split.Train);
        var known = SparseMatrix.UserItem(InteractionDataset.Concat(split.Train, split.Validation));
        return new RankingEvaluator(known, SparseMatrix.UserItem(split.Test), train, WithDefaultSimilarity(options, train));
    }

    /// <summary>Top-k lists per evaluated user (row-major, <c>-1</c> pads short lists) from a model.</summary>
    public int[] Recommend(IRecommender model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.ItemCount != ItemCount)
        {
            throw new ArgumentException($"model scores {model.ItemCount} items, the evaluation has {ItemCount}");
        }

        var k = Options.K;
        var lists = new int[_users.Length * k];
        Array.Fill(lists, -1);
        Parallel.For(
            0,
            _users.Length,
            new ParallelOptions
            {
                MaxDegreeOfParallelism = Options.MaxDegreeOfParallelism > 0 ? Options.MaxDegreeOfParallelism : Environment.ProcessorCount,
                CancellationToken = cancellationToken,
            },
            () => (Scores: new float[ItemCount], Heap: new TopKHeap(k)),
            (x, _, ws) =>
            {
                var u = _users[x];
                model.Score(u, ws.Scores);
                TopK.Select(ws.Scores, _excluded.RowColumns(u), ws.Heap, lists.AsSpan(x * k, k));
                return ws;
            },
            _ => { });
        return lists;
    }

    public EvaluationResult Evaluate(IRecommender model, CancellationToken cancellationToken = default)
        => EvaluateLists(Recommend(model, cancellationToken));

    /// <summary>Scores precomputed top-k lists (as returned by <see cref="Recommend"/>).</summary>
    public EvaluationResult EvaluateLists(int[] lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var k = Options.K;
        if (lists.Length != _users.Length * k)
        {
            throw new ArgumentException("one list of k items per evaluated user is required", nameof(lists));
        }

        const int M = 7;
        var perUser = new double[_users.Length * M];
        var beyond = Options.ComputeBeyondAccuracy;
        var similarity = Options.Similarity;
        Parallel.For(0, _users.Length, new ParallelOptions { MaxDegreeOfParallelism = Options.MaxDegreeOfParallelism > 0 ? Options.MaxDegreeOfParallelism : Environment.ProcessorCount }, x =>
        {
            var list = Trim(lists.AsSpan(x * k, k));
            var a = RankingMetrics.Compute(list, _relevant.RowColumns(_users[x]), k);
            var m = perUser.AsSpan(x * M, M);
            m[0] = a.Precision;
            m[1] = a.Recall;
            m[2] = a.Ndcg;
            m[3] = a.Mrr;
            m[4] = a.Hit;
            m[5] = beyond && similarity is not null ? RankingMetrics.IntraListDiversity(list, similarity) : double.NaN;
            m[6] = beyond ? RankingMetrics.Novelty(list, _selfInformation) : double.NaN;
        });

        var overall = Aggregate(lists, perUser, M, _ => true);
        var byGroup = new SortedDictionary<int, MetricSet>();
        if (Options.UserGroups is { } groups)
        {
            var present = new SortedSet<int>();
            foreach (var u in _users)
            {
                if (groups[u] >= 0)
                {
                    present.Add(groups[u]);
                }
            }

            foreach (var g in present)
            {
                byGroup[g] = Aggregate(lists, perUser, M, x => groups[_users[x]] == g);
            }
        }

        return new EvaluationResult(k, overall, byGroup);
    }

    private MetricSet Aggregate(int[] lists, double[] perUser, int m, Func<int, bool> include)
    {
        var k = Options.K;
        var sums = new double[m];
        var recommended = new bool[ItemCount];
        var distinct = 0;
        var n = 0;
        for (var x = 0; x < _users.Length; x++)
        {
            if (!include(x))
            {
                continue;
            }

            n++;
            for (var j = 0; j < m; j++)
            {
                sums[j] += perUser[(x * m) + j];
            }

            foreach (var item in Trim(lists.AsSpan(x * k, k)))
            {
                if (!recommended[item])
                {
                    recommended[item] = true;
                    distinct++;
                }
            }
        }

        double Mean(int j) => n == 0 ? 0 : sums[j] / n;
        return new MetricSet(
            n,
            Precision: Mean(0),
            Recall: Mean(1),
            Ndcg: Mean(2),
            Mrr: Mean(3),
            Hit: Mean(4),
            Coverage: ItemCount == 0 ? 0 : (double)distinct / ItemCount,
            Diversity: Mean(5),
            Novelty: Mean(6));
    }

    private static ReadOnlySpan<int> Trim(ReadOnlySpan<int> list)
    {
        var end = list.IndexOf(-1);
        return end < 0 ? list : list[..end];
    }

    private static RankingEvaluatorOptions WithDefaultSimilarity(RankingEvaluatorOptions? options, SparseMatrix train)
    {
        options ??= new RankingEvaluatorOptions();
        return options.Similarity is null ? options with { Similarity = new CooccurrenceSimilarity(train.Transpose()) } : options;
    }
}
