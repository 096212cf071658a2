using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Serving;

/// <summary>Serving applies the item offset a cohort adopted in training, with the scorer's own numbers (parity).</summary>
public sealed class CohortOffsetServingTests
{
    private static readonly DateTimeOffset Now = ServingWorld.End.AddHours(5);

    /// <summary>
    /// Item bias as the only form, adopted wherever it beats global on validation in sample (a permissive gate, so the
    /// bundle surely has cohorts with an offset); no context lift, MMR or exploration.
    /// </summary>
    private static readonly Lazy<ServingWorld> WithOffsets = new(() => ServingBundles.Create(
        neutralContext: true,
        defaultPolicy: new ServingPolicy(NoExploration.Instance, 1, 0),
        cohortOptions: new CohortStrategyOptions
        {
            MinValidationUsers = 10,
            MinGain = double.NegativeInfinity,
            MinGainStandardErrors = -1e9,
            Forms = [CohortAdaptationForm.ItemBias],
        }));

    private static int AdoptedGroup(ModelBundle bundle)
    {
        foreach (var d in bundle.Scorer.Decisions)
        {
            if (d.Adapted && d.Form == CohortAdaptationForm.ItemBias && !bundle.Scorer.OffsetOf(d.Group).IsEmpty)
            {
                return d.Group;
            }
        }

        return -1;
    }

    [Fact]
    public void The_serving_index_carries_the_adopted_offset_as_the_cohort_part()
    {
        var w = WithOffsets.Value;
        var group = AdoptedGroup(w.Bundle);
        Assert.True(group >= 0, "some cohort adopted an item bias");

        var index = ServingIndex.Of(w.Bundle);
        var expected = new float[w.Bundle.ItemIds.Count];
        Assert.True(w.Bundle.Scorer.CohortItemPart(group, expected));

        Assert.Equal(expected, index.CohortPopularityOf(group).ToArray());
        // With the item bias and a zero cohort-popularity weight the cohort part is the offset itself.
        Assert.Equal(0f, w.Bundle.Scorer.Decisions[group].Weights[^1]);
        Assert.Equal(w.Bundle.Scorer.OffsetOf(group).ToArray(), index.CohortPopularityOf(group).ToArray());
    }

    [Fact]
    public void Known_users_of_an_offset_cohort_get_the_scorers_ranking_with_the_offset_applied()
    {
        var w = WithOffsets.Value;
        var group = AdoptedGroup(w.Bundle);
        Assert.True(group >= 0, "some cohort adopted an item bias");
        var scores = new float[w.Bundle.ItemIds.Count];
        var global = new float[w.Bundle.ItemIds.Count];
        var checkedUsers = 0;
        var differsFromGlobal = 0;
        for (var u = 0; u < w.Bundle.UserItems.Rows && checkedUsers < 20; u++)
        {
            if (w.GroupOfUser(u) != group || w.Bundle.UserItems.RowLength(u) < 5)
            {
                continue;
            }

            checkedUsers++;
            w.Bundle.Scorer.Score(u, scores);
            w.Bundle.Scorer.GlobalOnly().Score(u, global);
            var expected = TopK.Select(scores, 10, w.Bundle.UserItems.RowColumns(u));
            var withoutOffset = TopK.Select(global, 10, w.Bundle.UserItems.RowColumns(u));
            if (!expected.SequenceEqual(withoutOffset))
            {
                differsFromGlobal++;
            }

            var result = RecommendationPipeline.Recommend(w.Bundle, new ServingRequest
            {
                UserId = w.UserId(u),
                CohortId = ServingWorld.CohortIdOf(group),
                Now = Now,
                Count = 10,
                Explore = false,
            });

            Assert.Equal(RecommendationPipeline.CohortModel, result.Strategy);
            Assert.Equal(expected.Select(i => w.Bundle.ItemIds[i]), result.Items.Select(i => i.ItemId));
        }

        Assert.True(checkedUsers > 0);
        Assert.True(differsFromGlobal > 0, "the offset changes some lists, so serving without it would fail the comparison");
    }

    [Fact]
    public void A_scorer_with_offsets_survives_its_bytes_and_gives_the_same_cohort_part()
    {
        // (This test bundle's stand-in segmentation does not round-trip; the scorer is the part that carries the offsets.)
        var w = WithOffsets.Value;
        var group = AdoptedGroup(w.Bundle);
        Assert.True(group >= 0, "some cohort adopted an item bias");

        var copy = (CohortAwareRecommender)RecommenderSerializer.Default.Deserialize(RecommenderSerializer.Default.Serialize(w.Bundle.Scorer));

        Assert.Equal(CohortAdaptationForm.ItemBias, copy.Decisions[group].Form);
        var part = new float[copy.ItemCount];
        Assert.True(copy.CohortItemPart(group, part));
        Assert.Equal(ServingIndex.Of(w.Bundle).CohortPopularityOf(group).ToArray(), part);
    }
}
