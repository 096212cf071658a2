using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class RankerStageTests
{
    private const int Candidates = 40;

    /// <summary>
    /// A ranker taught the opposite of the blend's popularity preference: in every user's real candidate list, the five
    /// least popular candidates are the relevant ones. Only a ranker that read the features puts them first.
    /// </summary>
    private static readonly Lazy<CandidateRanker> LeastPopular = new(() =>
    {
        var bundle = StageWorld.World.Bundle;
        var names = RankerFeatures.Names(ServingIndex.Of(bundle));
        var popularity = Array.IndexOf(names, "item_popularity");
        var queries = new List<RankerQuery>();
        for (var u = 0; u < 120; u++)
        {
            var (items, features) = RankerStage.Candidates(bundle, Request(StageWorld.World.UserId(u), null), Candidates);
            if (items.Length < 10)
            {
                continue;
            }

            var relevant = new bool[items.Length];
            foreach (var row in LeastPopularRows(features, popularity, 5))
            {
                relevant[row] = true;
            }

            queries.Add(new RankerQuery(features, relevant));
        }

        return CandidateRanker.Fit(queries, names, new CandidateRankerOptions { NumberOfIterations = 60, MinimumExampleCountPerLeaf = 5 })!;
    });

    private static int[] LeastPopularRows(Cohortly.Modeling.Segmentation.FeatureMatrix features, int column, int take)
    {
        var rows = Enumerable.Range(0, features.Rows).ToArray();
        Array.Sort(rows, (a, b) => features.ReadRow(a)[column].CompareTo(features.ReadRow(b)[column]));
        return rows[..Math.Min(take, rows.Length)];
    }

    private static ServingRequest Request(string userId, int? cohortId) => new()
    {
        UserId = userId,
        CohortId = cohortId,
        Now = StageWorld.Now,
        Count = 10,
        Explore = false,
        ProfileFeatures = new float[Cohortly.Modeling.Features.ProfileFeatures.Count],
    };

    private static (ModelBundle Bundle, int CohortId, string UserId) WithRanker(bool serves)
    {
        var world = StageWorld.World;
        var user = StageWorld.UserWithHistory();
        var cohort = ServingWorld.CohortIdOf(world.GroupOfUser(user));
        var ranker = new RankerModel(LeastPopular.Value, Candidates, [new RankerCohortReport(cohort, 50, 0.1, 0.2, 0.01, serves)], "test");
        return (ModelBundleCopy.With(world.Bundle, ranker: ranker), cohort, world.UserId(user));
    }

    [Fact]
    public void A_cohort_the_ranker_serves_gets_the_rankers_order_and_the_response_says_so()
    {
        var (bundle, cohort, userId) = WithRanker(serves: true);
        var request = Request(userId, cohort);
        var (items, features) = RankerStage.Candidates(bundle, request, Candidates);
        var popularity = Array.IndexOf(RankerFeatures.Names(ServingIndex.Of(bundle)), "item_popularity");
        var leastPopular = LeastPopularRows(features, popularity, 8).Select(r => bundle.ItemIds[items[r]]).ToHashSet();

        var result = RecommendationPipeline.Recommend(bundle, request);

        Assert.True(result.Ranker);
        Assert.Contains(result.Items[0].ItemId, leastPopular);
        var blendTop = bundle.ItemIds[items[0]];
        Assert.DoesNotContain(blendTop, leastPopular);
    }

    [Fact]
    public void A_cohort_where_the_ranker_lost_is_served_by_the_blend_exactly()
    {
        var (bundle, cohort, userId) = WithRanker(serves: false);
        var request = Request(userId, cohort);

        var result = RecommendationPipeline.Recommend(bundle, request);
        var blendOnly = RecommendationPipeline.Recommend(StageWorld.World.Bundle, request);

        Assert.False(result.Ranker);
        Assert.Equal(blendOnly.Items.Select(i => (i.ItemId, i.Score)), result.Items.Select(i => (i.ItemId, i.Score)));
    }

    [Fact]
    public void A_request_can_switch_the_ranker_on_or_off_whatever_the_cohort_decided()
    {
        var (served, cohort, userId) = WithRanker(serves: true);
        var (notServed, _, _) = WithRanker(serves: false);

        var off = RecommendationPipeline.Recommend(served, Request(userId, cohort) with { UseRanker = false });
        var on = RecommendationPipeline.Recommend(notServed, Request(userId, cohort) with { UseRanker = true });
        var blendOnly = RecommendationPipeline.Recommend(StageWorld.World.Bundle, Request(userId, cohort));
        var rankerServed = RecommendationPipeline.Recommend(served, Request(userId, cohort));

        Assert.False(off.Ranker);
        Assert.Equal(blendOnly.Items.Select(i => i.ItemId), off.Items.Select(i => i.ItemId));
        Assert.True(on.Ranker);
        Assert.Equal(rankerServed.Items.Select(i => i.ItemId), on.Items.Select(i => i.ItemId));
    }

    [Fact]
    public void Explained_ranker_items_show_feature_contributions_that_add_up_to_the_score()
    {
        var (bundle, cohort, userId) = WithRanker(serves: true);

        var result = RecommendationPipeline.Recommend(bundle, Request(userId, cohort) with { Explain = true });

        Assert.True(result.Ranker);
        foreach (var item in result.Items)
        {
            var contributions = item.Contributions!;
            Assert.Contains(contributions, c => c.Feature == "ranker_base");
            Assert.Contains(contributions, c => c.Feature.StartsWith("ranker:", StringComparison.Ordinal));
            Assert.Equal("context", contributions[^1].Feature);
            Assert.Equal(item.Score, contributions.Sum(c => c.Value), 4);
        }
    }

    [Fact]
    public void The_ranker_re_ranks_more_candidates_than_the_blend_pool_and_keeps_the_pool_size()
    {
        var (bundle, cohort, userId) = WithRanker(serves: true);
        var index = ServingIndex.Of(bundle);
        var request = Request(userId, cohort);

        Assert.Equal(Candidates, RankerStage.PoolSize(bundle, serves: true, want: 30));
        Assert.Equal(30, RankerStage.PoolSize(bundle, serves: false, want: 30));
        Assert.Equal(60, RankerStage.PoolSize(bundle, serves: true, want: 60));
        var (items, _) = RankerStage.Candidates(bundle, request, Candidates);
        Assert.Equal(Candidates, items.Length);
        Assert.Equal(RankerFeatures.Count(index), RankerFeatures.Names(index).Length);
    }

    [Fact]
    public void Sort_keys_order_a_pool_as_the_comparison_it_replaced_ties_in_blend_order()
    {
        var random = new Random(4);
        double[] values = [0.5, -0.25, 0, -0.0, 1e-9, double.NaN, double.PositiveInfinity, 2];
        for (var trial = 0; trial < 200; trial++)
        {
            var n = 1 + random.Next(120);
            var scores = new double[n];
            for (var c = 0; c < n; c++)
            {
                scores[c] = random.Next(3) == 0 ? random.NextDouble() : values[random.Next(values.Length)];
            }

            var blendOrder = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray(); // each candidate's Order, distinct
            var expected = Enumerable.Range(0, n).ToArray();
            Array.Sort(expected, (a, b) =>
            {
                var byRank = scores[b].CompareTo(scores[a]);
                return byRank != 0 ? byRank : blendOrder[a].CompareTo(blendOrder[b]);
            });
            var keys = new RankerStage.RankKey[n];
            for (var c = 0; c < n; c++)
            {
                keys[c] = new RankerStage.RankKey(scores[c], blendOrder[c], c);
            }

            keys.AsSpan().Sort();

            Assert.Equal(expected, keys.Select(k => k.Index));
        }
    }

    [Fact]
    public void The_ranker_stage_scores_each_candidate_as_the_ranker_scores_it_alone()
    {
        var (bundle, cohort, userId) = WithRanker(serves: true);
        var request = Request(userId, cohort) with { Explain = true };
        var (_, features) = RankerStage.Candidates(bundle, request, Candidates);
        var alone = new double[features.Rows];
        var batch = new double[features.Rows];
        var rows = new float[features.Rows * features.Columns];
        for (var r = 0; r < features.Rows; r++)
        {
            alone[r] = LeastPopular.Value.Score(features.ReadRow(r));
            features.ReadRow(r).CopyTo(rows.AsSpan(r * features.Columns));
        }

        LeastPopular.Value.ScoreAll(rows, features.Columns, batch);

        Assert.Equal(alone.Select(BitConverter.DoubleToInt64Bits), batch.Select(BitConverter.DoubleToInt64Bits));
    }
}
