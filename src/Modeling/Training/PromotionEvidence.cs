using Cohortly.Contracts;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Training;

/// <summary>
/// Scores the candidate and the active model on the same holdout for <see cref="PromotionGate"/>. The holdout is the
/// candidate run's held-out positives <em>restricted to those the active model did not train on</em> (the pair is not in
/// the active bundle's user × item row), so the active model is never scored on what it has seen. Both models score a
/// user the way serving does for a user with new events: fold-in of the same history (the user's training part of this
/// run) in the cohort each would serve them with (the candidate's cohort; the active's own segmentation applied to the
/// user's current features), excluding that history from the list. Items the active model does not know stay relevant
/// (it cannot recommend them, as in serving).
/// <para>
/// Each version is scored on what it would serve the user: where its learned ranker serves the user's cohort, the
/// blend's candidates re-ordered by the ranker (<see cref="RankerStage.Candidates"/>, the serving stage's own
/// candidates and features; the candidate's from its probe bundle, fitted without the holdout like its ranker), the
/// blend elsewhere. Ranker-served users are scored exactly like blend-served ones: both versions get the same request
/// (the same history as recent items, excluded from the list, at the same clock, features and device) and fold that
/// history in without their trained rows. Before, the candidate's probe scored from its trained row while the active
/// folded the history in on top of its own row, so a cohort both rankers served compared two different users (a good
/// candidate lost cohort 4 of PromotionGateTests' world, 0.2385 vs 0.2958 over 27 users).
/// </para>
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
        CancellationToken cancellationToken,
        RankedServing? ranked = null)
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
        // A ranker of another feature layout (an older bundle) would not serve either: RankerStage.Serves checks the same.
        var activeRankerUsable = sameFeatures && active.Ranker is { Model: { } activeModel } && activeModel.FeatureNames.Count == RankerFeatures.Count(ServingIndex.Of(active));
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
                var cohort = segmentation.CohortIds[groups[u]];
                double candidateNdcg;
                var candidateRanker = ranked?.Candidate is { Ranker: { Model: not null } candidateRanking } && candidateRanking.ServesCohort(cohort);
                if (candidateRanker)
                {
                    var probe = ranked!.Candidate!;
                    var (items, rows) = RankerStage.Candidates(probe, ranked.Request(userIds[u], cohort, u, features, history, itemIds, k), probe.Ranker!.Candidates, trainedRow: false);
                    candidateNdcg = RankingMetrics.Compute(RankerTraining.RankedTop(probe.Ranker.Model!, items, rows, k), relevant.ToArray(), k).Ndcg;
                }
                else
                {
                    candidate.ScoreItemsInCohort(groups[u], history, ws.Candidate);
                    var top = TopK.Select(ws.Candidate, history, ws.Heap, ws.Top);
                    candidateNdcg = RankingMetrics.Compute(ws.Top.AsSpan(0, top), relevant.ToArray(), k).Ndcg;
                }

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
                int? activeCohort = null;
                if (sameFeatures)
                {
                    activeCohort = active.Segmentation.Assign(features.ReadRow(u));
                    group = active.GroupOf(activeCohort.Value) ?? -1;
                }

                activeRelevant.Sort();
                double activeNdcg;
                var activeRanker = ranked is not null && activeRankerUsable && active.Ranker!.ServesCohort(activeCohort);
                if (activeRanker)
                {
                    var (items, rows) = RankerStage.Candidates(active, ranked!.Request(userIds[u], activeCohort, u, features, history, itemIds, k), active.Ranker!.Candidates, trainedRow: false);
                    activeNdcg = RankingMetrics.Compute(RankerTraining.RankedTop(active.Ranker.Model!, items, rows, k), activeRelevant.ToArray(), k).Ndcg;
                }
                else
                {
                    var activeHistorySpan = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(activeHistory);
                    active.Scorer.ScoreItemsInCohort(group, activeHistorySpan, ws.Active);
                    var top = TopK.Select(ws.Active, activeHistorySpan, ws.Heap, ws.Top);
                    activeNdcg = RankingMetrics.Compute(ws.Top.AsSpan(0, top), activeRelevant.ToArray(), k).Ndcg;
                }

                results[x] = new PairedScore(cohort, candidateNdcg, activeNdcg, candidateRanker, activeRanker);
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

/// <summary>
/// What the gate needs to score ranker-served users as serving would: the candidate's probe bundle with its ranker (null
/// when the run fitted none), the run's clock and each user's main device (the ranker's context features).
/// </summary>
internal sealed record RankedServing(ModelBundle? Candidate, DateTimeOffset Now, IReadOnlyList<string?> Devices)
{
    /// <summary>
    /// A serving request for holdout user <paramref name="u"/> in <paramref name="cohort"/>, the same for both versions:
    /// the run's training history of the user as recent items (folded in, excluded from the list) at the run's clock.
    /// </summary>
    public ServingRequest Request(string userId, int? cohort, int u, FeatureMatrix features, ReadOnlySpan<int> history, IReadOnlyList<string> itemIds, int k)
    {
        var recent = new List<RecentItem>(history.Length);
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        var nowMs = Now.ToUnixTimeMilliseconds();
        foreach (var item in history)
        {
            recent.Add(new RecentItem(itemIds[item], InteractionType.Click, nowMs));
            excluded.Add(itemIds[item]);
        }

        return new ServingRequest
        {
            UserId = userId,
            CohortId = cohort,
            Now = Now,
            Count = k,
            Device = Devices[u],
            ProfileFeatures = features.ReadRow(u).ToArray(),
            RecentItems = recent,
            Excluded = excluded,
            Explore = false,
        };
    }
}
