using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Tests.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>The EASE signal: trained, stored and served next to iALS and item-kNN, through item-kNN's neighbour lists.</summary>
public sealed class EaseItemItemTrainingTests
{
    private static readonly TrainingOptions EaseConfigured = new()
    {
        EaseWeight = 1,
        EaseRegularization = 40,
        EaseNeighbors = 30,
        Ranker = false,
        Tuning = new TrainingTuningOptions { Enabled = false },
    };

    private static ItemKnnRecommender? EaseOf(ModelBundle bundle) =>
        bundle.Scorer.Signals.SingleOrDefault(s => s.Name == "ease")?.Model as ItemKnnRecommender;

    [Fact]
    public void A_run_with_an_ease_weight_serves_the_signal_and_the_bundle_carries_it_through_its_bytes()
    {
        var world = TrainingWorld.Create(users: 200, items: 120, days: 14, seed: 5);

        var bundle = TrainingPipeline.Run(world.Input, EaseConfigured);
        var copy = ModelBundle.FromBytes(bundle.ToBytes());

        Assert.Equal(ModelBundleFormat.FormatVersion, BitConverter.ToInt32(bundle.ToBytes(), 4));
        var ease = Assert.IsType<ItemKnnRecommender>(EaseOf(bundle));
        var read = Assert.IsType<ItemKnnRecommender>(EaseOf(copy));
        Assert.Equal(ItemNeighborFit.Ease, read.Options.Fit);
        Assert.Equal(40f, read.Options.EaseRegularization);
        Assert.Equal(1f, copy.Scorer.Signals.Single(s => s.Name == "ease").GlobalWeight);
        // Similar items and reasons keep the cosine neighbours.
        Assert.Equal(ItemNeighborFit.Cosine, copy.Neighbors.Options.Fit);
        var withNegative = 0;
        for (var i = 0; i < bundle.ItemIds.Count; i++)
        {
            Assert.InRange(ease.NeighborItems(i).Length, 0, 30);
            Assert.Equal(ease.NeighborItems(i).ToArray(), read.NeighborItems(i).ToArray());
            Assert.Equal(ease.NeighborSimilarities(i).ToArray(), read.NeighborSimilarities(i).ToArray());
            withNegative += ease.NeighborSimilarities(i).ToArray().Any(w => w < 0) ? 1 : 0;
        }

        // EASE weights, not cosines: some are negative (a cosine never is).
        Assert.True(withNegative > 0);
        var expected = new float[bundle.ItemIds.Count];
        var actual = new float[bundle.ItemIds.Count];
        for (var u = 0; u < 20; u++)
        {
            bundle.Scorer.Score(u, expected);
            copy.Scorer.Score(u, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Without_a_weight_or_above_the_item_bound_the_run_has_no_ease_signal()
    {
        var world = TrainingWorld.Create(users: 200, items: 120, days: 14, seed: 5);

        var bounded = TrainingPipeline.Run(world.Input, EaseConfigured with { EaseMaxItems = 50 });
        var unweighted = TrainingPipeline.Run(world.Input, EaseConfigured with { EaseWeight = 0 });

        Assert.True(bounded.ItemIds.Count > 50);
        Assert.Null(EaseOf(bounded));
        Assert.Null(EaseOf(unweighted));
        Assert.Equal(["ials", "itemknn", "popularity"], unweighted.Scorer.Signals.Select(s => s.Name).Where(n => n != "content"));
    }

    [Fact]
    public void Serving_ranks_known_users_exactly_as_the_scorer_with_ease_does_offline()
    {
        // Neutral context, no exploration, MMR λ = 1: what is left of serving is scoring, filtering and the top 10.
        var w = ServingBundles.Create(
            neutralContext: true,
            defaultPolicy: new ServingPolicy(NoExploration.Instance, 1, 0),
            easeOptions: new ItemKnnOptions { Fit = ItemNeighborFit.Ease, EaseRegularization = 20, Neighbors = 40 });
        Assert.NotNull(EaseOf(w.Bundle));
        var scores = new float[w.Bundle.ItemIds.Count];
        var compared = 0;
        var easeMatters = 0;
        for (var u = 0; u < w.Bundle.UserItems.Rows && compared < 30; u++)
        {
            if (w.Bundle.UserItems.RowLength(u) < 3)
            {
                continue;
            }

            compared++;
            var group = w.GroupOfUser(u);
            w.Bundle.Scorer.Score(u, scores);
            var expected = TopK.Select(scores, 10, w.Bundle.UserItems.RowColumns(u));

            var result = RecommendationPipeline.Recommend(w.Bundle, new ServingRequest
            {
                UserId = w.UserId(u),
                CohortId = ServingWorld.CohortIdOf(group),
                Now = ServingWorld.End.AddHours(5),
                Count = 10,
                Explore = false,
                Explain = true,
            });

            Assert.Equal(expected.Select(i => w.Bundle.ItemIds[i]), result.Items.Select(i => i.ItemId));
            easeMatters += result.Items.Any(i => i.Contributions!.Any(c => c.Feature == "ease" && c.Value != 0)) ? 1 : 0;
        }

        Assert.Equal(30, compared);
        Assert.True(easeMatters > 0, "serving scored the EASE signal into these lists");
    }
}
