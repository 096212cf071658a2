using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Tests.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>The item-item signal fitted by EASE: trained, stored, served and tuned like the cosine one.</summary>
public sealed class EaseItemItemTrainingTests
{
    private static readonly TrainingOptions EaseConfigured = new()
    {
        ItemItemFit = ItemNeighborFit.Ease,
        EaseRegularization = 40,
        EaseNeighbors = 30,
        Ranker = false,
        Tuning = new TrainingTuningOptions { Enabled = false },
    };

    [Fact]
    public void A_run_configured_for_ease_serves_it_and_the_bundle_carries_it_through_its_bytes()
    {
        var world = TrainingWorld.Create(users: 200, items: 120, days: 14, seed: 5);

        var bundle = TrainingPipeline.Run(world.Input, EaseConfigured);
        var copy = ModelBundle.FromBytes(bundle.ToBytes());

        Assert.Equal(ModelBundleFormat.FormatVersion, BitConverter.ToInt32(bundle.ToBytes(), 4));
        Assert.Equal(ItemNeighborFit.Ease, bundle.Neighbors.Options.Fit);
        Assert.Equal(40f, bundle.Neighbors.Options.EaseRegularization);
        Assert.Equal(ItemNeighborFit.Ease, copy.Neighbors.Options.Fit);
        // The named neighbour model is the scorer's item-item signal, stored once.
        Assert.Same(copy.Neighbors, copy.Scorer.Signals.Single(s => s.Name == "itemknn").Model);
        var expected = new float[bundle.ItemIds.Count];
        var actual = new float[bundle.ItemIds.Count];
        var withNegative = 0;
        for (var i = 0; i < bundle.ItemIds.Count; i++)
        {
            Assert.InRange(bundle.Neighbors.NeighborItems(i).Length, 0, 30);
            Assert.Equal(bundle.Neighbors.NeighborItems(i).ToArray(), copy.Neighbors.NeighborItems(i).ToArray());
            Assert.Equal(bundle.Neighbors.NeighborSimilarities(i).ToArray(), copy.Neighbors.NeighborSimilarities(i).ToArray());
            withNegative += bundle.Neighbors.NeighborSimilarities(i).ToArray().Any(w => w < 0) ? 1 : 0;
        }

        // EASE weights, not cosines: some are negative (a cosine never is).
        Assert.True(withNegative > 0);
        for (var u = 0; u < 20; u++)
        {
            bundle.Scorer.Score(u, expected);
            copy.Scorer.Score(u, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void A_catalog_above_the_ease_bound_is_served_by_the_cosine_neighbours()
    {
        var world = TrainingWorld.Create(users: 200, items: 120, days: 14, seed: 5);

        var bundle = TrainingPipeline.Run(world.Input, EaseConfigured with { EaseMaxItems = 50 });

        Assert.True(bundle.ItemIds.Count > 50);
        Assert.Equal(ItemNeighborFit.Cosine, bundle.Neighbors.Options.Fit);
        Assert.Equal(EaseConfigured.KnnNeighbors, bundle.Neighbors.Options.Neighbors);
    }

    [Fact]
    public void Serving_ranks_known_users_exactly_as_the_ease_scorer_does_offline()
    {
        // Neutral context, no exploration, MMR λ = 1: what is left of serving is scoring, filtering and the top 10.
        var w = ServingBundles.Create(
            neutralContext: true,
            defaultPolicy: new ServingPolicy(NoExploration.Instance, 1, 0),
            knnOptions: new ItemKnnOptions { Fit = ItemNeighborFit.Ease, EaseRegularization = 20, Neighbors = 40 });
        Assert.Equal(ItemNeighborFit.Ease, w.Bundle.Neighbors.Options.Fit);
        var scores = new float[w.Bundle.ItemIds.Count];
        var compared = 0;
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
            });

            Assert.Equal(expected.Select(i => w.Bundle.ItemIds[i]), result.Items.Select(i => i.ItemId));
        }

        Assert.Equal(30, compared);
    }
}
