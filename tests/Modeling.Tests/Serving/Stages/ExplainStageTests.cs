using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class ExplainStageTests
{
    private static ServedItem[] Explain(ServingRequest request, int user, int group, (ServingCandidate, bool)[] picks)
    {
        var w = StageWorld.World;
        using var history = ServingHistory.Read(w.Bundle, request, user);
        using var scores = ScoreStage.CanScore(StageWorld.Index, group, history)
            ? ScoreStage.Score(w.Bundle, StageWorld.Index, group, user, history)
            : ColdStartStage.Score(w.Bundle, StageWorld.Index, request, group, history.Interests);
        return new ExplainStage(w.Bundle, StageWorld.Index, request, group, scores, history).Items(picks);
    }

    [Fact]
    public void New_items_are_new_in_their_category_and_explored_known_items_say_so()
    {
        var picks = new (ServingCandidate, bool)[]
        {
            (new ServingCandidate(-1, "new-a", 0.5, 0) { Category = "Shoes" }, true),
            (new ServingCandidate(-1, "new-b", 0.4, 1), false),
            (new ServingCandidate(3, StageWorld.Id(3), 0.3, 2), true),
        };

        var items = Explain(StageWorld.Request() with { Explain = true }, -1, -1, picks);

        Assert.Equal(["new in Shoes", "new in the catalog", "exploring something new"], items.Select(i => i.Reason));
        Assert.Equal([true, false, true], items.Select(i => i.Explored));
        Assert.Equal([("new_item", 0.5), ("context", 0.0)], items[0].Contributions!.Select(c => (c.Feature, c.Value)));
    }

    [Fact]
    public void A_blended_items_contributions_name_each_weighted_signal_and_add_up_to_its_score()
    {
        var w = StageWorld.World;
        var u = StageWorld.UserWithHistory();
        var group = w.Bundle.GroupOf(ServingWorld.CohortIdOf(w.GroupOfUser(u)))!.Value;
        var request = StageWorld.Request(w.UserId(u)) with { Explain = true };
        using var history = ServingHistory.Read(w.Bundle, request, u);
        using var scores = ScoreStage.Score(w.Bundle, StageWorld.Index, group, u, history);
        var item = StageWorld.Unseen(u, 1)[0];
        var candidate = new ServingCandidate(item, StageWorld.Id(item), scores.Total[item], 0) { Score = scores.Total[item] * 1.25 };

        var explained = new ExplainStage(w.Bundle, StageWorld.Index, request, group, scores, history).Items([(candidate, false)]);

        var contributions = explained[0].Contributions!;
        Assert.Equal("context", contributions[^1].Feature);
        Assert.Equal(candidate.Score, contributions.Sum(c => c.Value), 4);
        Assert.Equal(StageWorld.Index.Names.Where((_, s) => scores.Weights[s] != 0), contributions.SkipLast(1).Select(c => c.Feature));
    }

    [Fact]
    public void Without_explain_there_are_no_contributions()
    {
        var items = Explain(StageWorld.Request(), -1, -1, [(new ServingCandidate(2, StageWorld.Id(2), 1, 0), false)]);

        Assert.Null(Assert.Single(items).Contributions);
    }

    [Fact]
    public void A_cold_start_names_the_cohort_for_its_trending_items_and_all_shoppers_otherwise()
    {
        var request = StageWorld.Request() with
        {
            CohortId = 5555,
            CohortLabel = "night owls",
            CohortTrending = [new TrendingItem(StageWorld.Id(4), 1)],
        };

        var items = Explain(request, -1, -1, [(new ServingCandidate(4, StageWorld.Id(4), 1, 0), false), (new ServingCandidate(5, StageWorld.Id(5), 1, 1), false)]);
        var unlabelled = Explain(request with { CohortLabel = null }, -1, -1, [(new ServingCandidate(4, StageWorld.Id(4), 1, 0), false)]);

        Assert.Equal(["popular in your cohort \"night owls\"", "trending with all shoppers"], items.Select(i => i.Reason));
        Assert.Equal("popular in your cohort \"cohort 5555\"", unlabelled[0].Reason);
    }

    [Fact]
    public void A_history_driven_item_names_the_recent_item_with_its_verb()
    {
        var w = StageWorld.World;
        var source = w.Bundle.Neighbors.NeighborItems(0)[0];
        var request = StageWorld.Request() with { RecentItems = [new RecentItem(StageWorld.Id(source), InteractionType.AddToCart, 1)] };
        var picks = new (ServingCandidate, bool)[20];
        for (var k = 0; k < picks.Length; k++)
        {
            var item = w.Bundle.Neighbors.NeighborItems(source)[k];
            picks[k] = (new ServingCandidate(item, StageWorld.Id(item), 1, k), false);
        }

        var reasons = Explain(request, -1, -1, picks).Select(i => i.Reason).Where(r => r.StartsWith("because", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.Equal($"because you added to cart {ExplainStage.Title(w.Bundle, source)}", r));
    }
}
