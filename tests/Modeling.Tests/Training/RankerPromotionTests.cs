using Cohortly.Modeling.Data;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>The promotion gate compares what each version would serve: its learned ranker where it serves, its blend elsewhere.</summary>
public sealed class RankerPromotionTests
{
    private const int K = 10;

    [Fact]
    public void A_cohort_whose_candidate_ranker_is_worse_is_rejected_and_the_reason_says_the_ranker_served_it()
    {
        // Cohort 3 is served by the candidate's ranker and loses; cohort 4 is served by both blends and ties.
        var scores = Enumerable.Range(0, 40).Select(_ => new PairedScore(3, 0.10, 0.30, CandidateRanker: true))
            .Concat(Enumerable.Range(0, 40).Select(_ => new PairedScore(4, 0.30, 0.30)))
            .ToList();

        var decision = PromotionGate.Decide(scores, [3], tolerance: 0.02, minUsers: 20);

        Assert.False(decision.Promote);
        Assert.Contains("cohort 3 (candidate served by its ranker, active by its blend):", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("overall (candidate served by its ranker for 40 of 80 users, its blend for the rest, active by its blend):", decision.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("cohort 4", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_candidate_whose_planted_ranker_buries_the_blend_s_best_items_is_rejected_though_its_blend_ties()
    {
        var world = TrainingWorld.Create(users: 300, items: 300, days: 14, seed: 5);
        var options = new TrainingOptions { Factors = 16, IalsIterations = 5 };
        var bundle = TrainingPipeline.Run(world.Input, options);
        var log = TrainingLog.Read(world.Input, options, CancellationToken.None);
        var profiles = log.ReplayProfiles(options.Profile, CancellationToken.None);
        var features = new FeatureMatrix(profiles.Length, ProfileFeatures.Count);
        var groups = new int[profiles.Length];
        for (var u = 0; u < profiles.Length; u++)
        {
            ProfileFeatures.Extract(profiles[u], bundle.ReferenceTime.ToUnixTimeMilliseconds(), features.Row(u));
            groups[u] = bundle.Segmentation.NearestIndex(features.ReadRow(u), out _);
        }

        // Planted holdout: each user's three best items by the blend (fold-in of their row), not in their row.
        var train = bundle.UserItems;
        var (heldUsers, heldItems) = (new List<int>(), new List<int>());
        var scores = new float[bundle.ItemIds.Count];
        var heap = new TopKHeap(3);
        var top = new int[3];
        for (var u = 0; u < profiles.Length; u++)
        {
            var row = train.RowColumns(u);
            if (row.Length == 0)
            {
                continue;
            }

            bundle.Scorer.ScoreItemsInCohort(groups[u], row, scores);
            var n = TopK.Select(scores, row, heap, top);
            for (var i = 0; i < n; i++)
            {
                heldUsers.Add(u);
                heldItems.Add(top[i]);
            }
        }

        var holdout = SparseMatrix.FromCoordinates(train.Rows, train.Columns, [.. heldUsers], [.. heldItems], [.. Enumerable.Repeat(1f, heldUsers.Count)]);
        var active = bundle.WithRanker(null);

        // A ranker that learned the opposite of the blend (the last fifth of its candidates were the "relevant" ones),
        // declared to serve every cohort.
        var queries = new List<RankerQuery>();
        for (var u = 0; u < 120; u++)
        {
            var (items, rows) = RankerStage.Candidates(bundle, Request(bundle, u, features), options.RankerCandidates);
            if (items.Length >= 20)
            {
                queries.Add(new RankerQuery(rows, [.. Enumerable.Range(0, items.Length).Select(c => c >= items.Length * 4 / 5)]));
            }
        }

        var planted = CandidateRanker.Fit(queries, RankerFeatures.Names(ServingIndex.Of(bundle)), options.RankerModel, CancellationToken.None)!;
        var servesAll = new RankerModel(planted, options.RankerCandidates, [.. bundle.Segmentation.CohortIds.Select(c => new RankerCohortReport(c, 100, 0.1, 0.2, 0.01, true))], "planted: serves every cohort");
        var ranked = new RankedServing(bundle.WithRanker(servesAll), bundle.TrainedAt, new string?[profiles.Length]);
        var adapted = bundle.Segmentation.CohortIds.ToHashSet();

        var blendOnly = PromotionEvidence.Measure(bundle.Scorer, train, holdout, groups, bundle.Segmentation, features, log.UserIds, log.ItemIds, active, K, CancellationToken.None);
        var asServed = PromotionEvidence.Measure(bundle.Scorer, train, holdout, groups, bundle.Segmentation, features, log.UserIds, log.ItemIds, active, K, CancellationToken.None, ranked);

        // Compared blend against blend the candidate (the same models) ties and passes.
        Assert.True(blendOnly.Count >= 100, $"{blendOnly.Count} comparable users");
        Assert.All(blendOnly, s => Assert.False(s.CandidateRanker));
        Assert.True(PromotionGate.Decide(blendOnly, adapted, 0.02, 30).Promote);

        // Compared as served, its ranker buries what the users took: rejected, and the reason names the ranker.
        Assert.Equal(blendOnly.Count, asServed.Count);
        Assert.All(asServed, s => Assert.True(s.CandidateRanker && !s.ActiveRanker));
        var decision = PromotionGate.Decide(asServed, adapted, 0.02, 30);
        Assert.False(decision.Promote, decision.Reason);
        Assert.True(decision.CandidateNdcg < decision.ActiveNdcg * 0.9, $"{decision.CandidateNdcg} vs {decision.ActiveNdcg}");
        Assert.Contains("candidate served by its ranker", decision.Reason, StringComparison.Ordinal);

        // The same ranker on the active side instead: the active version is scored through it and loses.
        var reversed = PromotionEvidence.Measure(bundle.Scorer, train, holdout, groups, bundle.Segmentation, features, log.UserIds, log.ItemIds, bundle.WithRanker(servesAll), K, CancellationToken.None, ranked with { Candidate = null });
        Assert.All(reversed, s => Assert.True(s.ActiveRanker && !s.CandidateRanker));
        Assert.True(PromotionGate.Decide(reversed, adapted, 0.02, 30).Promote);
        Assert.True(reversed.Average(s => s.Active) < reversed.Average(s => s.Candidate));
    }

    private static ServingRequest Request(ModelBundle bundle, int u, FeatureMatrix features) => new()
    {
        UserId = bundle.UserIds[u],
        CohortId = bundle.TrainedCohortOf(bundle.UserIds[u]),
        Now = bundle.TrainedAt,
        Count = K,
        ProfileFeatures = features.ReadRow(u).ToArray(),
        Explore = false,
    };
}
