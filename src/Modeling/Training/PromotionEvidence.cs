using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>
/// Scores the candidate and the active model on the same holdout for <see cref="PromotionGate"/>. The holdout is the
/// candidate run's held-out positives <em>restricted to those the active model did not train on</em> (the pair is not in
/// the active bundle's user × item row), so the active model is never scored on what it has seen. Both models score a
/// user the way serving does for a user with new events: fold-in of the same history (the user's training part of this
/// run) in the cohort each would serve them with (the candidate's cohort; the active's own segmentation applied to the
/// user's current features), excluding that history from the list. Items the active model does not know stay relevant
/// (it cannot recommend them, as in serving).
/// </summary>
internal static class PromotionEvidence
{
    public static List<PairedScore> Measure(
        CohortAwareRecommender candidate,
        SparseMatrix train,
        SparseMatrix holdout,
        int[] groups,
        SegmentationModel segmentation,
        FeatureMatrix features,
        IReadOnlyList<string> userIds,
        IReadOnlyList<string> itemIds,
        ModelBundle active,
        int k,
        CancellationToken cancellationToken)
    {
        var users = new List<int>();
        for (var u = 0; u < holdout.Rows; u++)
        {
            if (holdout.RowLength(u) > 0 && groups[u] >= 0)
            {
                users.Add(u);
            }
        }

        var activeItems = active.ItemIds.Count;
        var sameFeatures = active.Segmentation.Dimensions == features.Columns && active.Segmentation.Centroids.Count > 0;
        var results = new PairedScore?[users.Count];
        Parallel.For(
            0,
            users.Count,
            new ParallelOptions { CancellationToken = cancellationToken },
            () => (Candidate: new float[candidate.ItemCount], Active: new float[activeItems], Heap: new TopKHeap(k), Top: new int[k]),
            (x, _, ws) =>
            {
                var u = users[x];
                var activeUser = active.UserIndex(userIds[u]);
                var relevant = new List<int>();
                var activeRelevant = new List<int>();
                var unknown = activeItems;
                foreach (var item in holdout.RowColumns(u))
                {
                    var mapped = active.ItemIndex(itemIds[item]);
                    if (mapped is { } m && activeUser is { } au && active.UserItems.Contains(au, m))
                    {
                        continue; // the active model trained on this pair
                    }

                    relevant.Add(item);
                    // An item the active model does not know is still relevant: it counts in the ideal, never in its list.
                    activeRelevant.Add(mapped ?? unknown++);
                }

                if (relevant.Count == 0)
                {
                    return ws;
                }

                var history = train.RowColumns(u);
                candidate.ScoreItemsInCohort(groups[u], history, ws.Candidate);
                var n = TopK.Select(ws.Candidate, history, ws.Heap, ws.Top);
                var candidateNdcg = RankingMetrics.Compute(ws.Top.AsSpan(0, n), relevant.ToArray(), k).Ndcg;

                var activeHistory = new List<int>(history.Length);
                foreach (var item in history)
                {
                    if (active.ItemIndex(itemIds[item]) is { } m)
                    {
                        activeHistory.Add(m);
                    }
                }

                activeHistory.Sort();
                var group = -1;
                if (sameFeatures)
                {
                    var id = active.Segmentation.Assign(features.ReadRow(u));
                    group = active.GroupOf(id) ?? -1;
                }

                var activeHistorySpan = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(activeHistory);
                active.Scorer.ScoreItemsInCohort(group, activeHistorySpan, ws.Active);
                n = TopK.Select(ws.Active, activeHistorySpan, ws.Heap, ws.Top);
                activeRelevant.Sort();
                var activeNdcg = RankingMetrics.Compute(ws.Top.AsSpan(0, n), activeRelevant.ToArray(), k).Ndcg;
                results[x] = new PairedScore(segmentation.CohortIds[groups[u]], candidateNdcg, activeNdcg);
                return ws;
            },
            _ => { });

        var scores = new List<PairedScore>(users.Count);
        foreach (var r in results)
        {
            if (r is { } score)
            {
                scores.Add(score);
            }
        }

        return scores;
    }
}
