using System.Buffers;
using System.Numerics.Tensors;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Cohorts;

// The out-of-fold search over each cohort's validation users (weights and offset forms), apart from the model it fits.
public sealed partial class CohortAwareRecommender
{
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
            // Columns: the backbone signals, the cohort popularity, then one per offset form (the group's vector).
            _signals = owner.Signals.Count + 1 + OffsetForms.Length;
            GlobalWeights = new float[_signals];
            owner._globalWeights.CopyTo(GlobalWeights, 0);
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
                () => (Dense: new float[_signals * _items], Heap: new TopKHeap(CandidatesPerSignal + 1), Top: new int[CandidatesPerSignal + 1], Top2: new float[CandidatesPerSignal + 1], Union: new List<int>(), Mark: new int[_items]),
                (x, _, ws) =>
                {
                    var u = users[x];
                    Standardized(u, ws.Dense);
                    var excluded = _train.RowColumns(u);
                    var bounds = new float[_signals];
                    ws.Union.Clear();
                    // The offset columns add no candidates (that would grow every evaluation of every form); their
                    // bound is the best value outside the union, measured below.
                    for (var s = 0; s < RankedColumns; s++)
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

                    OutsideBounds(x + 1, ws.Union, count, excluded, ws.Dense, ws.Mark, bounds);
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

        /// <summary>Columns whose best items join the candidates: the backbone signals and the cohort popularity.</summary>
        private int RankedColumns => _owner.Signals.Count + 1;

        /// <summary>The global weights over every search column (0 for the offset forms).</summary>
        public float[] GlobalWeights { get; }

        public long Evaluations => Interlocked.Read(ref _evaluations);

        /// <summary>Whether a group's vector in an offset column is all zeros (nothing to adopt).</summary>
        public bool IsZeroColumn(int column, int group)
        {
            var f = column - _owner.Signals.Count - 1;
            if ((uint)f >= (uint)_owner._formVectors.Length || (uint)group >= (uint)_owner._formVectors[f].Length)
            {
                return true;
            }

            foreach (var v in _owner._formVectors[f][group])
            {
                if (v != 0)
                {
                    return false;
                }
            }

            return true;
        }

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

        /// <summary>Per offset column: the best value among unseen items outside the candidates (−∞ when there are none).</summary>
        private void OutsideBounds(int stamp, List<int> union, int count, ReadOnlySpan<int> excluded, float[] dense, int[] mark, float[] bounds)
        {
            for (var j = 0; j < count; j++)
            {
                mark[union[j]] = stamp;
            }

            foreach (var i in excluded)
            {
                mark[i] = stamp;
            }

            for (var s = RankedColumns; s < _signals; s++)
            {
                var best = float.NegativeInfinity;
                var column = dense.AsSpan(s * _items, _items);
                for (var i = 0; i < column.Length; i++)
                {
                    if (mark[i] != stamp && column[i] > best)
                    {
                        best = column[i];
                    }
                }

                bounds[s] = best;
            }
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
                else if (s == _owner.Signals.Count)
                {
                    _owner._cohortPopularity.Score(user, part);
                }
                else
                {
                    // An offset form enters as it serves: its vector as is, times its weight.
                    var f = s - _owner.Signals.Count - 1;
                    var g = _owner._userGroups[user];
                    if ((uint)g < (uint)_owner._formVectors[f].Length)
                    {
                        _owner._formVectors[f][g].CopyTo(part);
                    }
                    else
                    {
                        part.Clear();
                    }

                    continue;
                }

                ScoreScaling.Standardize(part);
            }
        }

        /// <summary>
        /// Coordinate search from <paramref name="start"/> over columns first..first+count−1 with values from
        /// <paramref name="grid"/>; a value replaces the current one only if strictly better.
        /// </summary>
        public float[] Search(int[] users, float[] start, int first, int count, IReadOnlyList<float> grid)
        {
            var current = (float[])start.Clone();
            var best = Mean(users, current);
            // One column has nothing to revisit: a second pass over the same grid cannot find a better value.
            var passes = count == 1 ? 1 : Math.Max(1, _owner.Options.SearchPasses);
            for (var pass = 0; pass < passes; pass++)
            {
                var changed = false;
                for (var s = first; s < first + count; s++)
                {
                    foreach (var value in grid)
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
}
