using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;

namespace Cohortly.Bench;

/// <summary>Accuracy of one set of lists: means over the evaluated users, as <see cref="RankingEvaluator"/> reports them.</summary>
internal sealed record ParityScore(double Ndcg, double Recall, int Users, int UnknownItems, int KnownItems, int ShortLists);

/// <summary>
/// Scores top-k lists of external item ids against the test part of a split with the offline evaluator's definitions:
/// the evaluated users are those with at least one test item (<see cref="RankingEvaluator.EvaluatedUsers"/>), each list
/// is scored by <see cref="RankingMetrics.Compute"/> with binary relevance, and the means are over those users. Online
/// (HTTP) lists and offline (in-process) lists go through this one method, so a gap between them is the server's.
/// </summary>
internal sealed class ParityScorer
{
    private readonly RankingEvaluator _evaluator;
    private readonly SparseMatrix _relevant;
    private readonly SparseMatrix _known;
    private readonly DatasetCatalog _catalog;

    public ParityScorer(DatasetSplit split, int k)
    {
        _evaluator = RankingEvaluator.ForTest(split, new RankingEvaluatorOptions { K = k, ComputeBeyondAccuracy = false });
        _relevant = SparseMatrix.UserItem(split.Test);
        _known = SparseMatrix.UserItem(InteractionDataset.Concat(split.Train, split.Validation));
        _catalog = split.Catalog;
        K = k;
    }

    public int K { get; }

    /// <summary>User indices to ask for, in evaluation order.</summary>
    public ReadOnlySpan<int> Users => _evaluator.EvaluatedUsers;

    public string UserId(int user) => _catalog.Users[user];

    public IEnumerable<string> KnownItemIds(int user)
    {
        var row = _known.RowColumns(user).ToArray();
        foreach (var i in row)
        {
            yield return _catalog.Items[i];
        }
    }

    /// <param name="lists">One list per entry of <see cref="Users"/> (same order), best first; null counts as empty.</param>
    public ParityScore Score(IReadOnlyList<IReadOnlyList<string>?> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var users = Users;
        if (lists.Count != users.Length)
        {
            throw new ArgumentException($"expected {users.Length} lists, got {lists.Count}", nameof(lists));
        }

        var ranked = new int[K];
        double ndcg = 0, recall = 0;
        int unknown = 0, knownItems = 0, shortLists = 0;
        for (var x = 0; x < users.Length; x++)
        {
            var list = lists[x] ?? [];
            var n = Math.Min(K, list.Count);
            shortLists += n < K ? 1 : 0;
            for (var p = 0; p < n; p++)
            {
                // An id outside the split's catalog can never be relevant: int.MinValue is no item index.
                if (_catalog.Items.TryGetIndex(list[p], out var item))
                {
                    ranked[p] = item;
                    knownItems += _known.Contains(users[x], item) ? 1 : 0;
                }
                else
                {
                    ranked[p] = int.MinValue;
                    unknown++;
                }
            }

            var a = RankingMetrics.Compute(ranked.AsSpan(0, n), _relevant.RowColumns(users[x]), K);
            ndcg += a.Ndcg;
            recall += a.Recall;
        }

        var count = Math.Max(1, users.Length);
        return new ParityScore(ndcg / count, recall / count, users.Length, unknown, knownItems, shortLists);
    }

    /// <summary>
    /// The same lists through <see cref="RankingEvaluator.EvaluateLists"/> (only possible when every id is in the
    /// catalog): a cross-check that <see cref="Score"/> computes what the offline evaluator computes.
    /// </summary>
    public MetricSet? EvaluatorScore(IReadOnlyList<IReadOnlyList<string>?> lists)
    {
        var users = Users;
        var flat = new int[users.Length * K];
        Array.Fill(flat, -1);
        for (var x = 0; x < users.Length; x++)
        {
            var list = lists[x] ?? [];
            for (var p = 0; p < Math.Min(K, list.Count); p++)
            {
                if (!_catalog.Items.TryGetIndex(list[p], out var item))
                {
                    return null;
                }

                flat[(x * K) + p] = item;
            }
        }

        return _evaluator.EvaluateLists(flat).Overall;
    }
}
