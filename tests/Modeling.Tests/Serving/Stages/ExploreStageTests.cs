using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class ExploreStageTests
{
    private static List<ServingCandidate> Ordered(int count)
    {
        var ordered = new List<ServingCandidate>();
        for (var k = 0; k < count; k++)
        {
            ordered.Add(new ServingCandidate(k, StageWorld.Id(k), count - k, k));
        }

        return ordered;
    }

    /// <summary>Only the last candidate has bandit evidence, so it is the only known item exploration may pick.</summary>
    private static ServingRequest WithEvidenceFor(string id, int seed = 1) => StageWorld.Request() with
    {
        Arms = armId => armId == id ? new ArmEvidence(3, 1, StageWorld.Now.AddDays(-10)) : null,
        Seed = seed,
    };

    [Fact]
    public void Without_exploration_the_first_count_candidates_are_picked_in_order()
    {
        var ordered = Ordered(8);
        var request = WithEvidenceFor(ordered[7].Id);
        var always = new ServingPolicy(new EpsilonGreedyExploration(1), 1, 2);

        var off = ExploreStage.Pick(request with { Explore = false }, ordered, 5, always);
        var noSlots = ExploreStage.Pick(request, ordered, 5, always with { ExplorationSlots = 0 });
        var noPolicy = ExploreStage.Pick(request, ordered, 5, always with { Exploration = NoExploration.Instance });

        foreach (var picks in new[] { off, noSlots, noPolicy })
        {
            Assert.Equal(ordered.Take(5), picks.Select(p => p.Candidate));
            Assert.DoesNotContain(picks, p => p.Explored);
        }
    }

    [Fact]
    public void The_policy_fills_only_the_last_positions_with_eligible_candidates()
    {
        var ordered = Ordered(8);

        var picks = ExploreStage.Pick(WithEvidenceFor(ordered[7].Id), ordered, 5, new ServingPolicy(new EpsilonGreedyExploration(1), 1, 2));

        Assert.Equal([ordered[0], ordered[1], ordered[2], ordered[7], ordered[3]], picks.Select(p => p.Candidate));
        Assert.Equal([false, false, false, true, false], picks.Select(p => p.Explored));
    }

    [Fact]
    public void New_items_are_eligible_without_evidence_and_a_seed_reproduces_the_choice()
    {
        var ordered = Ordered(10);
        ordered.Add(new ServingCandidate(-1, "new-a", 0, 10));
        ordered.Add(new ServingCandidate(-1, "new-b", 0, 11));
        var request = StageWorld.Request() with { Seed = 42 };
        var policy = new ServingPolicy(new ThompsonExploration(1, 1), 1, 3);

        var first = ExploreStage.Pick(request, ordered, 4, policy);
        var second = ExploreStage.Pick(request, ordered, 4, policy);

        Assert.Equal(first, second);
        Assert.Equal(ordered.Take(1), first.Take(1).Select(p => p.Candidate));
        Assert.All(first.Where(p => p.Explored), p => Assert.StartsWith("new-", p.Candidate.Id, StringComparison.Ordinal));
        Assert.Equal(2, first.Count(p => p.Explored));
    }

    [Fact]
    public void Fewer_candidates_than_requested_are_all_picked()
    {
        var ordered = Ordered(3);

        var picks = ExploreStage.Pick(StageWorld.Request(), ordered, 10, ServingPolicy.Default);

        Assert.Equal(ordered, picks.Select(p => p.Candidate));
    }
}
