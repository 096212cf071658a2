using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Evaluation;

/// <summary>
/// Two models' NDCG@k for the same users on the same held-out items, user by user (a paired comparison: the
/// difference per user carries the evidence, not the two means). Each user's training row is excluded from the lists.
/// </summary>
public static class PairedNdcg
{
    /// <summary>Per user of <paramref name="users"/> (in that order): NDCG@k of <paramref name="a"/> and of <paramref name="b"/>.</summary>
    public static (double[] A, double[] B) PerUser(IRecommender a, IRecommender b, SparseMatrix train, SparseMatrix holdout, IReadOnlyList<int> users, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(users);
        var perA = new double[users.Count];
        var perB = new double[users.Count];
        var items = a.ItemCount;
        Parallel.For(
            0,
            users.Count,
            new ParallelOptions { CancellationToken = cancellationToken },
            () => (Scores: new float[items], Heap: new TopKHeap(k), Top: new int[k]),
            (x, _, ws) =>
            {
                var u = users[x];
                perA[x] = Ndcg(a, u, train, holdout, k, ws);
                perB[x] = Ndcg(b, u, train, holdout, k, ws);
                return ws;
            },
            _ => { });
        return (perA, perB);
    }

    private static double Ndcg(IRecommender model, int u, SparseMatrix train, SparseMatrix holdout, int k, (float[] Scores, TopKHeap Heap, int[] Top) ws)
    {
        model.Score(u, ws.Scores);
        var n = TopK.Select(ws.Scores, train.RowColumns(u), ws.Heap, ws.Top);
        return RankingMetrics.Compute(ws.Top.AsSpan(0, n), holdout.RowColumns(u), k).Ndcg;
    }
}
