using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

public sealed class RankerAndPurchaseTrainingTests(PlantedWorldFixture fixture) : IClassFixture<PlantedWorldFixture>
{
    [Fact]
    public void Training_fits_the_ranker_and_records_the_per_cohort_comparison_that_decides_where_it_serves()
    {
        var bundle = fixture.Bundle;
        var ranker = bundle.Ranker!;
        var options = new TrainingOptions();

        Assert.NotNull(ranker.Model);
        Assert.Equal(options.RankerCandidates, ranker.Candidates);
        Assert.Equal(bundle.Segmentation.CohortIds, ranker.Cohorts.Select(c => c.CohortId));
        Assert.True(ranker.Cohorts.Sum(c => c.Users) > 0);
        foreach (var c in ranker.Cohorts)
        {
            var gain = c.RankerNdcg - c.BlendNdcg;
            var expected = c.Users >= options.RankerMinUsers && gain > 0 && gain >= options.RankerMinGainStandardErrors * c.StandardError;
            Assert.Equal(expected, c.Serves);
            Assert.Equal(c.Serves, ranker.ServesCohort(c.CohortId));
        }
    }

    [Fact]
    public void The_purchase_model_is_trained_with_holdout_auc_log_loss_and_a_reliability_table()
    {
        var purchase = fixture.Bundle.Purchase!;

        Assert.NotNull(purchase.Model);
        Assert.Equal(TimeSpan.FromDays(14), purchase.Window);
        Assert.InRange(purchase.RocAuc, 0.6, 1.0);
        Assert.True(double.IsFinite(purchase.LogLoss) && purchase.LogLoss > 0);
        Assert.Equal(10, purchase.Reliability.Count);
        Assert.Equal(purchase.HoldoutUsers, purchase.Reliability.Sum(b => b.Count));
        Assert.Equal(purchase.PositiveRate, purchase.Reliability.Sum(b => b.Positives) / (double)purchase.HoldoutUsers, 9);
    }

    [Fact]
    public void Ranker_and_purchase_model_come_back_from_the_bytes_and_serve_the_same_lists()
    {
        var bundle = fixture.Bundle;
        var copy = ModelBundle.FromBytes(bundle.ToBytes());

        Assert.Equal(bundle.Ranker!.Cohorts, copy.Ranker!.Cohorts);
        Assert.Equal(bundle.Ranker.Model!.FeatureNames, copy.Ranker.Model!.FeatureNames);
        Assert.Equal(bundle.Purchase!.RocAuc, copy.Purchase!.RocAuc);
        Assert.Equal(bundle.Purchase.Reliability, copy.Purchase.Reliability);
        foreach (var user in fixture.World.World.Users.Take(15))
        {
            var profile = new float[ProfileFeatures.Count];
            profile[0] = 2.5f;
            Assert.Equal(bundle.Purchase.Predict(profile), copy.Purchase.Predict(profile));
            var request = new ServingRequest
            {
                UserId = user.Id,
                CohortId = bundle.TrainedCohortOf(user.Id),
                Now = TrainingWorld.End,
                Explore = false,
                UseRanker = true,
                ProfileFeatures = profile,
            };
            var original = RecommendationPipeline.Recommend(bundle, request);
            var loaded = RecommendationPipeline.Recommend(copy, request);
            Assert.Equal(original.Ranker, loaded.Ranker);
            Assert.Equal(original.Items.Select(i => (i.ItemId, i.Score)), loaded.Items.Select(i => (i.ItemId, i.Score)));
        }
    }

    [Fact]
    public void The_users_purchase_probability_is_a_ranker_feature()
    {
        var bundle = fixture.Bundle;
        var user = fixture.World.World.Users[4].Id;
        var profile = new float[ProfileFeatures.Count];
        profile[0] = 3f;
        profile[4] = 0.2f;
        var request = new ServingRequest { UserId = user, CohortId = bundle.TrainedCohortOf(user), Now = TrainingWorld.End, ProfileFeatures = profile };
        var column = bundle.Ranker!.Model!.FeatureNames.ToList().IndexOf("purchase_probability");

        var (items, features) = RankerStage.Candidates(bundle, request, 20);
        var (_, anonymous) = RankerStage.Candidates(bundle, request with { ProfileFeatures = null }, 20);

        Assert.True(column >= 0);
        Assert.NotEmpty(items);
        var expected = (float)bundle.Purchase!.Predict(profile)!.Value;
        Assert.True(expected > 0);
        for (var r = 0; r < features.Rows; r++)
        {
            Assert.Equal(expected, features.ReadRow(r)[column]);
            Assert.Equal(0f, anonymous.ReadRow(r)[column]);
        }
    }

    [Fact]
    public void Without_purchases_in_the_window_there_is_no_purchase_model_and_the_reason_says_why()
    {
        var world = TrainingWorld.Create(users: 120, items: 120, days: 10, seed: 3);
        var input = world.Input with { Events = [.. world.Input.Events.Where(e => e.Type != Contracts.InteractionType.Purchase)] };

        var bundle = TrainingPipeline.Run(input, new TrainingOptions { Ranker = false });

        Assert.Null(bundle.Ranker);
        Assert.Null(bundle.Purchase!.Model);
        Assert.Contains("no purchases", bundle.Purchase.Reason);
        Assert.Null(ModelBundle.FromBytes(bundle.ToBytes()).Purchase!.Model);
    }
}
