using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Serving;

/// <summary>The cohort's policy in effect comes with the request (from the cohort grain via the silo cache); the bundle's is the fallback.</summary>
public sealed class RequestPolicyTests
{
    private static readonly DateTimeOffset Now = ServingWorld.End.AddHours(5);

    private static readonly Lazy<ServingWorld> NoExplorationBundle = new(() => ServingBundles.Create(defaultPolicy: new ServingPolicy(NoExploration.Instance, 1, 0)));

    private static ServingRequest RequestFor(ServingWorld w)
    {
        var user = 0;
        while (w.Bundle.UserItems.RowLength(user) < 5)
        {
            user++;
        }

        return new ServingRequest
        {
            UserId = w.UserId(user),
            CohortId = ServingWorld.CohortIdOf(w.GroupOfUser(user)),
            Now = Now,
            Count = 10,
            Arms = _ => new ArmEvidence(10, 1, Now.AddDays(-30)),
            Seed = 5,
        };
    }

    [Fact]
    public void Without_a_policy_in_the_request_the_bundles_policy_serves()
    {
        var w = NoExplorationBundle.Value;

        var result = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w));

        Assert.Equal(10, result.Items.Count);
        Assert.DoesNotContain(result.Items, i => i.Explored);
    }

    [Fact]
    public void The_requests_policy_replaces_the_bundles_for_exploration_and_diversity()
    {
        var w = NoExplorationBundle.Value;
        var request = RequestFor(w);
        var plain = RecommendationPipeline.Recommend(w.Bundle, request);

        var explored = RecommendationPipeline.Recommend(w.Bundle, request with { Policy = new ServingPolicy(new EpsilonGreedyExploration(1), 1, 3) });
        var diversified = RecommendationPipeline.Recommend(w.Bundle, request with { Policy = new ServingPolicy(NoExploration.Instance, 0.2, 0) });

        Assert.Equal([false, false, false, false, false, false, false, true, true, true], explored.Items.Select(i => i.Explored));
        Assert.Equal(plain.Items.Take(7).Select(i => i.ItemId), explored.Items.Take(7).Select(i => i.ItemId));
        Assert.DoesNotContain(diversified.Items, i => i.Explored);
        Assert.NotEqual(plain.Items.Select(i => i.ItemId), diversified.Items.Select(i => i.ItemId));
    }

    [Fact]
    public void Global_weights_serve_the_cohorts_user_with_the_global_blend_and_no_fallback()
    {
        var w = NoExplorationBundle.Value;
        var request = RequestFor(w);

        var cohort = RecommendationPipeline.Recommend(w.Bundle, request);
        var global = RecommendationPipeline.Recommend(w.Bundle, request with { GlobalWeights = true });
        var noCohort = RecommendationPipeline.Recommend(w.Bundle, request with { CohortId = null });

        var adapted = ServingIndex.Of(w.Bundle).IsAdapted(w.Bundle.GroupOf(request.CohortId!.Value)!.Value);
        Assert.Equal(adapted ? RecommendationPipeline.CohortModel : RecommendationPipeline.GlobalModel, cohort.Strategy);
        Assert.Equal(RecommendationPipeline.GlobalModel, global.Strategy);
        Assert.False(global.Fallback);
        Assert.Null(global.FallbackReason);
        // Scored exactly as a user without a cohort: the global blend.
        Assert.Equal(noCohort.Items.Select(i => (i.ItemId, i.Score)), global.Items.Select(i => (i.ItemId, i.Score)));
    }
}
