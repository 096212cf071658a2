using System.Buffers;
using System.Numerics.Tensors;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Cohorts;

/// <summary>One scoring signal of the global backbone, already fitted on the training data, with its global weight.</summary>
public sealed record CohortSignal(string Name, IRecommender Model, float GlobalWeight);

public sealed record CohortStrategyOptions
{
    /// <summary>Weights tried for every signal (and for the cohort popularity prior) in the per-cohort search.</summary>
    public IReadOnlyList<float> WeightGrid { get; init; } = [0, 0.25f, 0.5f, 1, 2];

    /// <summary>Pseudo-count pulling a small cohort's popularity toward the global popularity.</summary>
    public float PopularityPrior { get; init; } = 100f;

    /// <summary>
    /// Pseudo-count (in validation users) pulling a cohort's searched weights toward the global ones:
    /// w = (n·w_cohort + τ·w_global) / (n + τ). Small cohorts move less.
    /// </summary>
    public float WeightShrinkage { get; init; } = 25f;

    /// <summary>Cohorts with fewer validation users keep the global model.</summary>
    public int MinValidationUsers { get; init; } = 30;

    /// <summary>Out-of-fold NDCG gain a cohort's adaptation must exceed to be adopted.</summary>
    public double MinGain { get; init; }

    /// <summary>
    /// How many standard errors (of the per-user out-of-fold NDCG differences) the gain must clear (1.64: a one-sided 5% test): a cohort of a few
    /// hundred users shows gains of ±0.01 by chance, which must not count as evidence.
    /// </summary>
    public double MinGainStandardErrors { get; init; } = 1.64;

    public int K { get; init; } = 10;

    public int SearchPasses { get; init; } = 2;

    /// <summary>Scores every item for every validation user at every weighting (the search before candidates; tests compare the two).</summary>
    internal bool ExhaustiveSearch { get; init; }
}

/// <summary>
/// The outcome of selection for one cohort (group index). NDCG values are means over the cohort's validation users:
/// in-sample for the final weights, and <see cref="OutOfFoldGain"/> from two-fold cross-fitting (weights searched on one
/// half of the cohort's validation users, measured on the other half, both ways), which is what the decision uses.
/// </summary>
public sealed record CohortDecision(
    int Group,
    int ValidationUsers,
    bool Adapted,
    IReadOnlyList<float> Weights,
    double GlobalNdcg,
    double AdaptedNdcg,
    double OutOfFoldGain,
    double OutOfFoldStandardError);

/// <summary>
/// Cohort-aware strategy: a global backbone (a standardized blend of fitted models, exactly as
/// <see cref="BlendRecommender"/> scores it) plus, per cohort, its own blend weights and a weight for the cohort's
/// popularity (shrunk toward global popularity). A cohort's weights are searched on its validation users and
/// <b>adopted only if they beat the global weights on held-out validation users of that cohort</b> (two-fold
/// cross-fitting); otherwise the cohort is served by the global backbone. Users without a cohort get global.
/// </summary>
/// <param name="validationItems">User→held-out items used for selection (the validation part); never the test part.</param>
public sealed class CohortAwareRecommender(IReadOnlyList<CohortSignal> signals, SparseMatrix validationItems, CohortStrategyOptions? options = null) : IRecommender
{
    public const string KindName = "cohort";
    private const int FormatVersion = 1;

    private readonly SparseMatrix? _validation = validationItems;
    private PopularityRecommender _cohortPopularity = new();
    private float[] _globalWeights = [];
    private float[][] _groupWeights = []; // per group: signals..., cohort popularity
    private int[] _userGroups = [];
    private CohortDecision[] _decisions = [];

    public IReadOnlyList<CohortSignal> Signals { get; } = Validate(signals);

    public CohortStrategyOptions Options { get; } = options ?? new CohortStrategyOptions();

    public string Kind => KindName;

    public int ItemCount => Signals[0].Model.ItemCount;

    public int UserCount => _userGroups.Length;

    public int GroupCount => _groupWeights.Length;

    /// <summary>Per cohort: whether it uses its adapted weights, with the validation evidence.</summary>
    public IReadOnlyList<CohortDecision> Decisions => _decisions;

    /// <summary>User evaluations of the last <see cref="Fit"/>'s weight search, and how many of them scored every item.</summary>
    internal (long Evaluations, long FullScans) SearchCounts { get; private set; }

    /// <summary>Signal names in weight order: the backbone signals, then "cohort_pop".</summary>
    public IReadOnlyList<string> WeightNames
    {
        get
        {
            var names = new string[Signals.Count + 1];
            for (var s = 0; s < Signals.Count; s++)
            {
                names[s] = Signals[s].Name;
            }

            names[^1] = "cohort_pop";
            return names;
        }
    }

    /// <summary>The same backbone with every cohort forced to global weights (the comparison baseline).</summary>
    public IRecommender GlobalOnly() => new GlobalView(this);

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        if (!data.HasUserGroups)
        {
            throw new ArgumentException("the cohort strategy needs user groups in the training data", nameof(data));
        }

        if (_validation is null || _validation.Rows != data.UserCount || _validation.Columns != data.ItemCount)
        {
            throw new ArgumentException("validation items must be a users × items matrix of the training catalog");
        }

        foreach (var s in Signals)
        {
            if (s.Model.ItemCount != data.ItemCount || s.Model.UserCount != data.UserCount)
            {
                throw new ArgumentException($"signal '{s.Name}' was not fitted on this training data");
            }
        }

        _cohortPopularity = new PopularityRecommender(new PopularityOptions { ByGroup = true, GroupPrior = Options.PopularityPrior });
        _cohortPopularity.Fit(data, random, cancellationToken);
        _userGroups = data.UserGroups.ToArray();
        var signalCount = Signals.Count + 1;
        _globalWeights = new float[signalCount];
        for (var s = 0; s < Signals.Count; s++)
        {
            _globalWeights[s] = Signals[s].GlobalWeight;
        }

        var groupCount = data.GroupCount;
        var members = new List<int>[groupCount];
        for (var g = 0; g < groupCount; g++)
        {
            members[g] = [];
        }

        for (var u = 0; u < data.UserCount; u++)
        {
            if (_userGroups[u] >= 0 && _validation.RowLength(u) > 0)
            {
                members[_userGroups[u]].Add(u);
            }
        }

        var search = new WeightSearch(this, data, _validation, members, cancellationToken);
        _groupWeights = new float[groupCount][];
        _decisions = new CohortDecision[groupCount];
        for (var g = 0; g < groupCount; g++)
        {
            var users = members[g].ToArray();
            random.Shuffle(users);
            _decisions[g] = Decide(g, users, search);
            _groupWeights[g] = [.. _decisions[g].Weights];
        }

        SearchCounts = (search.Evaluations, search.FullScans);
    }

    /// <summary>
    /// The model over <paramref name="data"/> with per-group weights decided before (e.g. on a holdout, after which the
    /// backbone was refitted on every interaction): fits only the cohort popularity and searches nothing.
    /// </summary>
    public static CohortAwareRecommender FromDecisions(
        IReadOnlyList<CohortSignal> signals,
        TrainingData data,
        IReadOnlyList<CohortDecision> decisions,
        CohortStrategyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(decisions);
        if (!data.HasUserGroups || decisions.Count != data.GroupCount)
        {
            throw new ArgumentException($"expected one decision per user group ({data.GroupCount}), got {decisions.Count}", nameof(decisions));
        }

        var model = new CohortAwareRecommender(signals, null!, options);
        foreach (var s in model.Signals)
        {
            if (s.Model.ItemCount != data.ItemCount || s.Model.UserCount != data.UserCount)
            {
                throw new ArgumentException($"signal '{s.Name}' was not fitted on this training data");
            }
        }

        model._cohortPopularity = new PopularityRecommender(new PopularityOptions { ByGroup = true, GroupPrior = model.Options.PopularityPrior });
        model._cohortPopularity.Fit(data, new Random(0), cancellationToken);
        model._userGroups = data.UserGroups.ToArray();
        model._globalWeights = new float[model.Signals.Count + 1];
        for (var s = 0; s < model.Signals.Count; s++)
        {
            model._globalWeights[s] = model.Signals[s].GlobalWeight;
        }

        model._groupWeights = new float[decisions.Count][];
        model._decisions = new CohortDecision[decisions.Count];
        for (var g = 0; g < decisions.Count; g++)
        {
            var d = decisions[g];
            if (d.Weights.Count != model._globalWeights.Length)
            {
                throw new ArgumentException($"decision {g} has {d.Weights.Count} weights for {model._globalWeights.Length} signals", nameof(decisions));
            }

            model._groupWeights[g] = [.. d.Weights];
            model._decisions[g] = d with { Group = g };
        }

        return model;
    }

    public void Score(int user, Span<float> scores)
    {
        var g = (uint)user < (uint)_userGroups.Length ? _userGroups[user] : -1;
        Combine(WeightsOf(g), scores, (model, s) => model.Score(user, s), s => _cohortPopularity.Score(user, s));
    }

    /// <summary>Serving a user known by recent items (fold-in) in a given cohort (group index; -1 = global).</summary>
    public void ScoreItemsInCohort(int group, ReadOnlySpan<int> recentItems, Span<float> scores)
    {
        var items = recentItems.ToArray();
        Combine(WeightsOf(group), scores, (model, s) => model.ScoreItems(items, s), s => _cohortPopularity.ScoreGroup(group, s));
    }

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores) => ScoreItemsInCohort(-1, recentItems, scores);

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Signals.Count);
        foreach (var s in Signals)
        {
            writer.Write(s.Name);
            writer.Write(s.GlobalWeight);
            RecommenderSerializer.Default.WriteModel(writer, s.Model);
        }

        RecommenderSerializer.Default.WriteModel(writer, _cohortPopularity);
        writer.Write(_userGroups.Length);
        BinaryArrays.Write(writer, _userGroups);
        writer.Write(_groupWeights.Length);
        foreach (var d in _decisions)
        {
            writer.Write(d.Adapted);
            writer.Write(d.ValidationUsers);
            writer.Write(d.GlobalNdcg);
            writer.Write(d.AdaptedNdcg);
            writer.Write(d.OutOfFoldGain);
            writer.Write(d.OutOfFoldStandardError);
            BinaryArrays.Write(writer, [.. d.Weights]);
        }
    }

    /// <summary>Reads a fitted model; <see cref="RecommenderSerializer.Default"/> knows this kind.</summary>
    public static CohortAwareRecommender Read(BinaryReader reader, RecommenderSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(serializer);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, KindName);
        var count = reader.ReadInt32();
        if (count <= 0)
        {
            throw new InvalidDataException("a cohort model needs at least one signal");
        }

        var signals = new CohortSignal[count];
        for (var s = 0; s < count; s++)
        {
            var name = reader.ReadString();
            var weight = reader.ReadSingle();
            signals[s] = new CohortSignal(name, serializer.ReadModel(reader), weight);
        }

        var model = new CohortAwareRecommender(signals, null!)
        {
            _cohortPopularity = (PopularityRecommender)serializer.ReadModel(reader),
        };
        model._userGroups = BinaryArrays.ReadInt32(reader, reader.ReadInt32());
        model._globalWeights = new float[count + 1];
        for (var s = 0; s < count; s++)
        {
            model._globalWeights[s] = signals[s].GlobalWeight;
        }

        var groups = reader.ReadInt32();
        model._groupWeights = new float[groups][];
        model._decisions = new CohortDecision[groups];
        for (var g = 0; g < groups; g++)
        {
            var adapted = reader.ReadBoolean();
            var users = reader.ReadInt32();
            var globalNdcg = reader.ReadDouble();
            var adaptedNdcg = reader.ReadDouble();
            var gain = reader.ReadDouble();
            var standardError = reader.ReadDouble();
            var weights = BinaryArrays.ReadSingle(reader, count + 1);
            model._groupWeights[g] = weights;
            model._decisions[g] = new CohortDecision(g, users, adapted, weights, globalNdcg, adaptedNdcg, gain, standardError);
        }

        return model;
    }

    private CohortDecision Decide(int group, int[] users, WeightSearch search)
    {
        var global = search.Mean(users, _globalWeights);
        if (users.Length < Options.MinValidationUsers)
        {
            return new CohortDecision(group, users.Length, false, _globalWeights, global, global, 0, 0);
        }

        // Two-fold cross-fitting: the decision rests on users the weights were not searched on.
        var half = users.Length / 2;
        var a = users[..half];
        var b = users[half..];
        var fromA = Shrink(search.Search(a, _globalWeights), a.Length);
        var fromB = Shrink(search.Search(b, _globalWeights), b.Length);
        var differences = new double[users.Length];
        Difference(search.PerUser(a, fromB), search.PerUser(a, _globalWeights), differences.AsSpan(0, half));
        Difference(search.PerUser(b, fromA), search.PerUser(b, _globalWeights), differences.AsSpan(half));
        var (outOfFold, standardError) = MeanAndStandardError(differences);

        var weights = Shrink(search.Search(users, _globalWeights), users.Length);
        var adaptedNdcg = search.Mean(users, weights);
        var adopt = outOfFold > Options.MinGain
            && outOfFold > Options.MinGainStandardErrors * standardError
            && adaptedNdcg > global;
        return new CohortDecision(group, users.Length, adopt, adopt ? weights : _globalWeights, global, adaptedNdcg, outOfFold, standardError);
    }

    private static void Difference(double[] adapted, double[] global, Span<double> destination)
    {
        for (var x = 0; x < destination.Length; x++)
        {
            destination[x] = adapted[x] - global[x];
        }
    }

    private static (double Mean, double StandardError) MeanAndStandardError(double[] values)
    {
        var mean = 0.0;
        foreach (var v in values)
        {
            mean += v;
        }

        mean /= values.Length;
        var sq = 0.0;
        foreach (var v in values)
        {
            sq += (v - mean) * (v - mean);
        }

        var variance = values.Length > 1 ? sq / (values.Length - 1) : 0;
        return (mean, Math.Sqrt(variance / values.Length));
    }

    private float[] Shrink(float[] searched, int users)
    {
        var t = Options.WeightShrinkage;
        var result = new float[searched.Length];
        for (var s = 0; s < result.Length; s++)
        {
            result[s] = ((users * searched[s]) + (t * _globalWeights[s])) / (users + t);
        }

        return result;
    }

    private float[] WeightsOf(int group) => (uint)group < (uint)_groupWeights.Length ? _groupWeights[group] : _globalWeights;

    private void Combine(float[] weights, Span<float> scores, Action<IRecommender, float[]> signal, Action<float[]> cohortPopularity)
    {
        var n = ItemCount;
        var buffer = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var total = scores[..n];
            total.Clear();
            var part = buffer.AsSpan(0, n);
            for (var s = 0; s < weights.Length; s++)
            {
                if (weights[s] == 0)
                {
                    continue;
                }

                if (s < Signals.Count)
                {
                    signal(Signals[s].Model, buffer);
                }
                else
                {
                    cohortPopularity(buffer);
                }

                ScoreScaling.Standardize(part);
                TensorPrimitives.MultiplyAdd(part, weights[s], total, total);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static IReadOnlyList<CohortSignal> Validate(IReadOnlyList<CohortSignal> signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.Count == 0)
        {
            throw new ArgumentException("the backbone needs at least one signal", nameof(signals));
        }

        return signals;
    }

    /// <summary>
    /// Each validation user's candidates, computed once, so each candidate weighting costs only a weighted sum over a
    /// few hundred items and a top-k per user. A user keeps the union of every signal's best
    /// <see cref="CandidatesPerSignal"/> unseen items with their standardized scores on every signal, and per signal the
    /// best score left outside (t_s). With non-negative weights no item outside the union can score above Σ w_s·t_s, so
    /// when the k-th candidate scores strictly above that bound the candidates' top-k is the full scan's top-k, ties and
    /// order included (the same float operations in the same order); otherwise the user is scored in full again. Keeping
    /// every user's dense scores instead (signals × items floats each) needed 2 MB a user at 100,000 items.
    /// </summary>
    private sealed class WeightSearch
    {
        private const int CandidatesPerSignal = 50;
        private readonly CohortAwareRecommender _owner;
        private readonly SparseMatrix _train;
        private readonly SparseMatrix _relevant;
        private readonly Dictionary<int, Candidates> _candidates = [];
        private readonly int _items;
        private readonly int _signals;
        private readonly CancellationToken _cancellationToken;
        private long _evaluations;
        private long _fullScans;

        public WeightSearch(CohortAwareRecommender owner, TrainingData data, SparseMatrix relevant, List<int>[] members, CancellationToken cancellationToken)
        {
            _owner = owner;
            _train = data.UserItems;
            _relevant = relevant;
            _items = data.ItemCount;
            _signals = owner.Signals.Count + 1;
            _cancellationToken = cancellationToken;
            var users = new List<int>();
            foreach (var m in members)
            {
                users.AddRange(m);
            }

            var rows = new Candidates[users.Count];
            Parallel.For(
                0,
                users.Count,
                new ParallelOptions { CancellationToken = cancellationToken },
                () => (Dense: new float[_signals * _items], Heap: new TopKHeap(CandidatesPerSignal + 1), Top: new int[CandidatesPerSignal + 1], Top2: new float[CandidatesPerSignal + 1], Union: new List<int>()),
                (x, _, ws) =>
                {
                    var u = users[x];
                    Standardized(u, ws.Dense);
                    var excluded = _train.RowColumns(u);
                    var bounds = new float[_signals];
                    ws.Union.Clear();
                    for (var s = 0; s < _signals; s++)
                    {
                        TopK.Fill(ws.Dense.AsSpan(s * _items, _items), excluded, ws.Heap);
                        var n = ws.Heap.Drain(ws.Top, ws.Top2);
                        // The (M+1)-th best is the best left outside; fewer than M+1 means none is left outside.
                        bounds[s] = n > CandidatesPerSignal ? ws.Top2[CandidatesPerSignal] : float.NegativeInfinity;
                        for (var j = 0; j < Math.Min(n, CandidatesPerSignal); j++)
                        {
                            ws.Union.Add(ws.Top[j]);
                        }
                    }

                    ws.Union.Sort();
                    var count = 0;
                    for (var j = 0; j < ws.Union.Count; j++)
                    {
                        if (j == 0 || ws.Union[j] != ws.Union[j - 1])
                        {
                            ws.Union[count++] = ws.Union[j];
                        }
                    }

                    var items = new int[count];
                    var scores = new float[_signals * count];
                    for (var j = 0; j < count; j++)
                    {
                        items[j] = ws.Union[j];
                        for (var s = 0; s < _signals; s++)
                        {
                            scores[(s * count) + j] = ws.Dense[(s * _items) + items[j]];
                        }
                    }

                    rows[x] = new Candidates(items, scores, bounds);
                    return ws;
                },
                _ => { });
            for (var x = 0; x < users.Count; x++)
            {
                _candidates[users[x]] = rows[x];
            }
        }

        public long Evaluations => Interlocked.Read(ref _evaluations);

        public long FullScans => Interlocked.Read(ref _fullScans);

        public double Mean(int[] users, float[] weights)
        {
            if (users.Length == 0)
            {
                return 0;
            }

            var total = 0.0;
            foreach (var v in PerUser(users, weights))
            {
                total += v;
            }

            return total / users.Length;
        }

        /// <summary>Validation NDCG@k of every listed user under a weighting.</summary>
        public double[] PerUser(int[] users, float[] weights)
        {
            var k = _owner.Options.K;
            var sums = new double[users.Length];
            Interlocked.Add(ref _evaluations, users.Length);
            var nonNegative = !_owner.Options.ExhaustiveSearch;
            foreach (var w in weights)
            {
                nonNegative &= w >= 0;
            }

            Parallel.For(
                0,
                users.Length,
                new ParallelOptions { CancellationToken = _cancellationToken },
                () => (Total: new float[_items], Dense: (float[]?)null, Heap: new TopKHeap(k), Top: new int[k]),
                (x, _, ws) =>
                {
                    var u = users[x];
                    var c = _candidates[u];
                    var count = c.Items.Length;
                    var total = ws.Total.AsSpan(0, count);
                    total.Clear();
                    var bound = 0f;
                    for (var s = 0; s < _signals; s++)
                    {
                        if (weights[s] != 0)
                        {
                            TensorPrimitives.MultiplyAdd(c.Scores.AsSpan(s * count, count), weights[s], total, total);
                            bound = (c.Bounds[s] * weights[s]) + bound;
                        }
                    }

                    ws.Heap.Clear();
                    for (var j = 0; j < count; j++)
                    {
                        if (float.IsFinite(total[j]))
                        {
                            ws.Heap.Offer(c.Items[j], total[j]);
                        }
                    }

                    int n;
                    if (nonNegative && (ws.Heap.Threshold > bound || float.IsNegativeInfinity(bound) || AllInside(c)))
                    {
                        n = ws.Heap.Drain(ws.Top);
                    }
                    else
                    {
                        Interlocked.Increment(ref _fullScans);
                        ws.Dense ??= new float[_signals * _items];
                        Standardized(u, ws.Dense);
                        var full = ws.Total.AsSpan(0, _items);
                        full.Clear();
                        for (var s = 0; s < _signals; s++)
                        {
                            if (weights[s] != 0)
                            {
                                TensorPrimitives.MultiplyAdd(ws.Dense.AsSpan(s * _items, _items), weights[s], full, full);
                            }
                        }

                        n = TopK.Select(full, _train.RowColumns(u), ws.Heap, ws.Top);
                    }

                    sums[x] = RankingMetrics.Compute(ws.Top.AsSpan(0, n), _relevant.RowColumns(u), k).Ndcg;
                    return ws;
                },
                _ => { });
            return sums;
        }

        // A signal with nothing left outside its candidates means every unseen item is a candidate.
        private static bool AllInside(Candidates c)
        {
            foreach (var b in c.Bounds)
            {
                if (float.IsNegativeInfinity(b))
                {
                    return true;
                }
            }

            return false;
        }

        private void Standardized(int user, float[] dense)
        {
            for (var s = 0; s < _signals; s++)
            {
                var part = dense.AsSpan(s * _items, _items);
                if (s < _owner.Signals.Count)
                {
                    _owner.Signals[s].Model.Score(user, part);
                }
                else
                {
                    _owner._cohortPopularity.Score(user, part);
                }

                ScoreScaling.Standardize(part);
            }
        }

        /// <summary>Coordinate search from <paramref name="start"/>; a value replaces the current one only if strictly better.</summary>
        public float[] Search(int[] users, float[] start)
        {
            var current = (float[])start.Clone();
            var best = Mean(users, current);
            for (var pass = 0; pass < Math.Max(1, _owner.Options.SearchPasses); pass++)
            {
                var changed = false;
                for (var s = 0; s < _signals; s++)
                {
                    foreach (var value in _owner.Options.WeightGrid)
                    {
                        if (value == current[s])
                        {
                            continue;
                        }

                        var candidate = (float[])current.Clone();
                        candidate[s] = value;
                        if (!HasNonZero(candidate))
                        {
                            continue;
                        }

                        var score = Mean(users, candidate);
                        if (score > best + 1e-9)
                        {
                            best = score;
                            current = candidate;
                            changed = true;
                        }
                    }
                }

                if (!changed)
                {
                    break;
                }
            }

            return current;
        }

        private static bool HasNonZero(float[] weights)
        {
            foreach (var w in weights)
            {
                if (w != 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A validation user's candidate items (ascending), their standardized scores per signal (signal-major), and per signal the best score outside them.</summary>
    private sealed record Candidates(int[] Items, float[] Scores, float[] Bounds);

    /// <summary>The backbone alone, for "cohort model vs global" comparisons on the same fitted state.</summary>
    private sealed class GlobalView(CohortAwareRecommender owner) : IRecommender
    {
        public string Kind => "cohort-global";

        public int ItemCount => owner.ItemCount;

        public int UserCount => owner.UserCount;

        public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
        {
        }

        public void Score(int user, Span<float> scores)
            => owner.Combine(owner._globalWeights, scores, (model, s) => model.Score(user, s), s => owner._cohortPopularity.Score(user, s));

        public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores) => owner.ScoreItemsInCohort(-1, recentItems, scores);

        public void Write(BinaryWriter writer) => throw new NotSupportedException("write the cohort model instead");
    }
}
