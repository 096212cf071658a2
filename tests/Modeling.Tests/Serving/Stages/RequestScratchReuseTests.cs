using System.Globalization;
using System.Text;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Serving.Stages;

/// <summary>
/// What the serving path reuses per thread (the candidate arena's lists and heap, the MMR, the explorers) must never
/// show in an answer: a request served after others on the same thread gets what it gets on a thread of its own.
/// </summary>
public sealed class RequestScratchReuseTests
{
    private static readonly ServingPolicy Diverse = new(new EpsilonGreedyExploration(0.5), 0.6, 3);

    /// <summary>Runs <paramref name="work"/> on a new thread, so every per-thread object it uses is new.</summary>
    private static T OnFreshThread<T>(Func<T> work)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        thread.Start();
        thread.Join();
        return result;
    }

    /// <summary>Everything a served list says, as text (records holding lists compare by reference).</summary>
    private static string Describe(ServingResult result)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{result.Strategy} {result.Fallback} {result.Ranker}\n");
        foreach (var item in result.Items)
        {
            text.Append(CultureInfo.InvariantCulture, $"{item.ItemId} {item.Score:R} {item.Reason} {item.Explored} {item.BuyAgain} [{string.Join(",", item.Rules ?? [])}]");
            foreach (var c in item.Contributions ?? [])
            {
                text.Append(CultureInfo.InvariantCulture, $" {c.Feature}={c.Value:R}");
            }

            text.Append('\n');
        }

        foreach (var d in result.Decisions ?? [])
        {
            text.Append(CultureInfo.InvariantCulture, $"{d}\n");
        }

        return text.ToString();
    }

    private static ServingRequest KnownUserWithFreshEvent(int seed, int count)
    {
        var bundle = StageWorld.World.Bundle;
        var user = StageWorld.UserWithHistory();
        var viewed = StageWorld.Id(StageWorld.Unseen(user, 1)[0]);
        return StageWorld.Request(bundle.UserIds[user], count) with
        {
            RecentItems = [new RecentItem(viewed, InteractionType.View, StageWorld.Now.AddMinutes(-1).ToUnixTimeMilliseconds(), 0)],
            Explain = true,
            Policy = Diverse,
            Seed = seed,
        };
    }

    [Fact]
    public void A_request_served_after_others_on_the_thread_gets_what_it_gets_on_a_thread_of_its_own()
    {
        var bundle = StageWorld.World.Bundle;
        var first = KnownUserWithFreshEvent(seed: 7, count: 10);
        // Another user, another list length (another heap size) and another policy in between.
        var other = StageWorld.Request(bundle.UserIds[0], 4) with { Policy = ServingPolicy.Default, Seed = 8 };

        var alone = OnFreshThread(() => Describe(RecommendationPipeline.Recommend(bundle, first)));
        var afterOthers = OnFreshThread(() =>
        {
            var before = Describe(RecommendationPipeline.Recommend(bundle, first));
            RecommendationPipeline.Recommend(bundle, other);
            return (Before: before, After: Describe(RecommendationPipeline.Recommend(bundle, first)));
        });

        Assert.Contains("because you viewed", alone, StringComparison.Ordinal);
        Assert.Equal(alone, afterOthers.Before);
        Assert.Equal(alone, afterOthers.After);
    }

    [Fact]
    public void A_remembered_explorer_picks_what_a_new_one_picks_whichever_request_came_first()
    {
        var ordered = new List<ServingCandidate>();
        for (var k = 0; k < 12; k++)
        {
            ordered.Add(new ServingCandidate(k, StageWorld.Id(k), 12 - k, k));
        }

        ordered.Add(new ServingCandidate(-1, "new-a", 0, 12));
        ordered.Add(new ServingCandidate(-1, "new-b", 0, 13));
        ServingPolicy[] policies = [Diverse, new(new ThompsonExploration(1, 1), 1, 3), new(new Ucb1Exploration(1), 1, 2)];
        var calls = new List<(int Seed, ServingPolicy Policy)>();
        for (var seed = 0; seed < 12; seed++)
        {
            calls.Add((seed, policies[seed % policies.Length]));
        }

        string Pick((int Seed, ServingPolicy Policy) call)
        {
            var picks = ExploreStage.Pick(StageWorld.Request() with { Seed = call.Seed }, ordered, 6, call.Policy, out var decisions);
            return string.Join(" ", picks.Select(p => $"{p.Candidate.Id}:{p.Explored}")) + " | " + string.Join(" ", decisions ?? []);
        }

        var fresh = calls.Select(call => OnFreshThread(() => Pick(call))).ToList();
        var forward = OnFreshThread(() => calls.Select(Pick).ToList());
        var backward = OnFreshThread(() => Enumerable.Reverse(calls).Select(Pick).Reverse().ToList());

        Assert.Contains(fresh, f => f.Contains(":True", StringComparison.Ordinal));
        Assert.Equal(fresh, forward);
        Assert.Equal(fresh, backward);
    }

    [Fact]
    public void An_explorer_is_remembered_for_an_equal_policy_and_length_only()
    {
        var explorer = ExploreStage.ExplorerFor(new ServingPolicy(new EpsilonGreedyExploration(0.2), 0.9, 2), 10);

        Assert.Same(explorer, ExploreStage.ExplorerFor(new ServingPolicy(new EpsilonGreedyExploration(0.2), 0.9, 2), 10));
        Assert.NotSame(explorer, ExploreStage.ExplorerFor(new ServingPolicy(new EpsilonGreedyExploration(0.2), 0.9, 2), 9));
        Assert.NotSame(explorer, ExploreStage.ExplorerFor(new ServingPolicy(new EpsilonGreedyExploration(0.3), 0.9, 2), 10));
    }

    [Fact]
    public void The_pool_and_its_diversified_order_from_the_arena_equal_new_lists_and_allocate_nothing_once_warm()
    {
        var bundle = StageWorld.World.Bundle;
        var index = StageWorld.Index;
        var request = StageWorld.Request();
        var scores = new float[index.ItemCount];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = (float)Math.Sin(i * 0.37);
        }

        var pool = FilterStage.SelectPool(bundle, index, request, scores, [], 30);
        var diversified = DiversifyStage.Diversify(index, pool, 0.6).Select(c => c.Id).ToList();
        string[] fromArena = [];

        void Serve()
        {
            var arena = CandidateArena.Begin();
            var arenaPool = FilterStage.SelectPool(bundle, index, request, scores, [], 30, null, arena);
            var ordered = DiversifyStage.Diversify(index, arenaPool, 0.6, arena);
            if (fromArena.Length == 0)
            {
                fromArena = [.. ordered.Select(c => c.Id)];
            }
        }

        Serve();
        var bytes = Allocations.FewestBytes(Serve);

        Assert.Equal(30, pool.Count);
        Assert.Equal(diversified, fromArena);
        Assert.NotEqual(pool.Select(c => c.Id), diversified);
        Assert.Equal(0, bytes);
    }
}
