using Cohortly.Contracts;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Tests.Training;

public sealed class PlantedWorldTrainingTests(PlantedWorldFixture fixture) : IClassFixture<PlantedWorldFixture>
{
    [Fact]
    public void Trained_cohorts_recover_the_planted_behaviour_types()
    {
        var bundle = fixture.Bundle;
        var users = fixture.World.World.Users;
        var assigned = new int[users.Count];
        for (var u = 0; u < users.Count; u++)
        {
            assigned[u] = bundle.TrainedCohortOf(users[u].Id) ?? -1;
        }

        var ari = ClusterAgreement.AdjustedRandIndex(fixture.World.PlantedTypes(), assigned);

        Assert.True(ari >= 0.7, $"ARI {ari:F3}; labels: {string.Join(", ", bundle.Segmentation.Labels)}");
        Assert.Equal(bundle.Segmentation.CohortIds.Count, bundle.Summary.Cohorts);
        Assert.Equal(users.Count, bundle.Summary.Users);
    }

    [Fact]
    public void Cohort_aware_scoring_beats_the_global_backbone_on_the_holdout()
    {
        var summary = fixture.Bundle.Summary;

        Assert.True(summary.HoldoutNdcgCohort > summary.HoldoutNdcgGlobal, $"cohort {summary.HoldoutNdcgCohort:F4} vs global {summary.HoldoutNdcgGlobal:F4}");
        Assert.Contains(fixture.Bundle.Cohorts, r => r.Adapted && r.OutOfFoldGain > 0);
        foreach (var r in fixture.Bundle.Cohorts)
        {
            // Selection never serves a cohort worse than global on the evidence it decided on.
            Assert.True(r.AdaptedNdcg >= r.GlobalNdcg - 1e-12, $"cohort {r.CohortId}: {r.AdaptedNdcg:F4} < {r.GlobalNdcg:F4}");
            if (!r.Adapted)
            {
                Assert.Equal(r.GlobalNdcg, r.AdaptedNdcg, 12);
            }
        }
    }

    [Fact]
    public void Served_model_beats_global_on_sessions_after_training()
    {
        // Every user comes back for one more session after the log ends; items new to them are what the models must find.
        var bundle = fixture.Bundle;
        var world = fixture.World.World;
        var random = new Random(99);
        var global = bundle.Scorer.GlobalOnly();
        var scores = new float[bundle.ItemIds.Count];
        double cohort = 0, baseline = 0;
        var evaluated = 0;
        foreach (var user in world.Users)
        {
            var u = bundle.UserIndex(user.Id)!.Value;
            var relevant = new SortedSet<int>();
            foreach (var e in world.Session(user, TrainingWorld.End.AddHours(2), random))
            {
                var item = bundle.ItemIndex(e.ItemId)!.Value;
                if (e.Type != InteractionType.Dismiss && !bundle.UserItems.Contains(u, item))
                {
                    relevant.Add(item);
                }
            }

            if (relevant.Count == 0)
            {
                continue;
            }

            var truth = relevant.ToArray();
            bundle.Scorer.Score(u, scores);
            cohort += RankingMetrics.Compute(TopK.Select(scores, 10, bundle.UserItems.RowColumns(u)), truth, 10).Ndcg;
            global.Score(u, scores);
            baseline += RankingMetrics.Compute(TopK.Select(scores, 10, bundle.UserItems.RowColumns(u)), truth, 10).Ndcg;
            evaluated++;
        }

        Assert.True(evaluated > 300, $"only {evaluated} users had new items");
        Assert.True(cohort > baseline, $"cohort {cohort / evaluated:F4} vs global {baseline / evaluated:F4} over {evaluated} users");
    }

    [Fact]
    public void Bundle_knows_every_catalog_item_and_serves_with_default_policies()
    {
        var bundle = fixture.Bundle;

        Assert.Equal(fixture.World.World.Items.Count, bundle.ItemIds.Count);
        Assert.All(fixture.World.World.Items, i => Assert.NotNull(bundle.ItemIndex(i.Id)));
        Assert.Equal([fixture.World.World.Items[3].Category], bundle.Items[bundle.ItemIndex(fixture.World.World.Items[3].Id)!.Value].Categories);
        Assert.NotNull(bundle.Content);
        Assert.Same(bundle.Factors, bundle.Scorer.Signals[0].Model);
        foreach (var id in bundle.GroupCohortIds)
        {
            Assert.Equal(bundle.DefaultPolicy, bundle.PolicyOf(id));
        }

        Assert.Equal(["reading", "features", "segmentation", "tuning", "backbone", "cohorts", "metrics", "purchase", "ranker", "refit", "packaging"], bundle.Summary.Stages.Select(s => s.Stage));
    }
}
