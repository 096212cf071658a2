using Cohortly.Modeling.Exploration;

namespace Cohortly.Modeling.Tests.Exploration;

public sealed class ExplorationPolicyTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset LongAgo = Now.AddDays(-90);

    public static TheoryData<string> PolicyNames => ["epsilon", "ucb", "thompson"];

    [Fact]
    public void Epsilon_zero_is_pure_greedy_by_score()
    {
        var candidates = MixedCandidates(new Random(1), 30);
        var policy = new EpsilonGreedyPolicy(0);

        var result = policy.Rerank(candidates, 10, Now, new Random(5));

        Assert.Empty(result.ExploredPositions);
        var expected = SortedByScore(candidates);
        for (var p = 0; p < 10; p++)
        {
            Assert.Equal(expected[p], result.Ranking[p].CandidateIndex);
            Assert.False(result.Ranking[p].Explored);
        }
    }

    [Fact]
    public void Epsilon_one_explores_every_position_with_eligible_arms_only()
    {
        var candidates = MixedCandidates(new Random(2), 30);
        var policy = new EpsilonGreedyPolicy(1);

        var result = policy.Rerank(candidates, 8, Now, new Random(6));

        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], result.ExploredPositions);
        foreach (var r in result.Ranking)
        {
            var c = candidates[r.CandidateIndex];
            Assert.True(c.Impressions > 0 || c.FirstSeen > Now.AddDays(-3), $"{c.ArmId} is old and unseen");
        }
    }

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public void Same_seed_gives_the_same_list(string name)
    {
        var candidates = MixedCandidates(new Random(3), 40);
        var policy = Create(name);

        var a = policy.Rerank(candidates, 15, Now, new Random(42));
        var b = policy.Rerank(candidates, 15, Now, new Random(42));

        Assert.Equal(a.Ranking, b.Ranking);
        Assert.Equal(a.ExploredPositions, b.ExploredPositions);
        Assert.Equal(15, a.Ranking.Length);
        Assert.Equal(15, DistinctCount(a.Ranking));
    }

    [Fact]
    public void Different_seeds_change_randomized_policies()
    {
        var candidates = MixedCandidates(new Random(3), 40);
        foreach (var policy in new IExplorationPolicy[] { new EpsilonGreedyPolicy(0.5), new ThompsonSamplingPolicy() })
        {
            var a = policy.Rerank(candidates, 15, Now, new Random(1));
            var b = policy.Rerank(candidates, 15, Now, new Random(2));
            Assert.NotEqual(a.Ranking, b.Ranking);
        }
    }

    [Theory]
    [MemberData(nameof(PolicyNames))]
    public void Old_arms_without_data_never_fill_exploration_slots(string name)
    {
        // Old unseen arms carry the top scores, so they lead the exploit order, but they must never
        // be chosen by exploration; UCB in particular must not give them an infinite index.
        var candidates = new List<ArmCandidate>();
        for (var i = 0; i < 5; i++)
        {
            candidates.Add(new ArmCandidate($"old-unseen-{i}", 10 + i, 0, 0, LongAgo));
        }

        for (var i = 0; i < 5; i++)
        {
            candidates.Add(new ArmCandidate($"new-{i}", i * 0.1, 0, 0, Now.AddHours(-i)));
        }

        var policy = Create(name, new ExplorationOptions { SlotPositions = [0, 1, 2] });
        for (var seed = 0; seed < 20; seed++)
        {
            var result = policy.Rerank(candidates, 6, Now, new Random(seed));
            foreach (var r in result.Ranking)
            {
                if (r.Explored)
                {
                    Assert.StartsWith("new-", r.ArmId);
                }
            }

            if (name != "epsilon")
            {
                // UCB and Thompson always use their slots when an eligible arm is left.
                Assert.Equal([0, 1, 2], result.ExploredPositions);
                Assert.Equal(["old-unseen-4", "old-unseen-3", "old-unseen-2"], [result.Ranking[3].ArmId, result.Ranking[4].ArmId, result.Ranking[5].ArmId]);
            }
        }
    }

    [Fact]
    public void Item_age_cutoff_is_inclusive_at_the_window_edge()
    {
        var options = new ExplorationOptions { NewItemWindow = TimeSpan.FromHours(24) };
        var edge = new ArmCandidate("edge", 0, 0, 0, Now.AddHours(-24));
        var stale = new ArmCandidate("stale", 0, 0, 0, Now.AddHours(-24).AddTicks(-1));
        var oldWithData = new ArmCandidate("old-with-data", 0, 3, 1, LongAgo);

        Assert.True(options.IsEligible(edge, Now));
        Assert.False(options.IsEligible(stale, Now));
        Assert.True(options.IsEligible(oldWithData, Now));
    }

    [Fact]
    public void Non_slot_positions_keep_the_score_order()
    {
        var candidates = MixedCandidates(new Random(4), 30);
        var policy = new ThompsonSamplingPolicy(options: new ExplorationOptions { SlotPositions = [2, 5] });

        var result = policy.Rerank(candidates, 8, Now, new Random(9));

        Assert.Equal([2, 5], result.ExploredPositions);
        var byScore = SortedByScore(candidates);
        var cursor = 0;
        var placed = new HashSet<int>();
        for (var p = 0; p < result.Ranking.Length; p++)
        {
            placed.Add(result.Ranking[p].CandidateIndex);
            if (p is 2 or 5)
            {
                continue;
            }

            while (placed.Contains(byScore[cursor]) && byScore[cursor] != result.Ranking[p].CandidateIndex)
            {
                cursor++;
            }

            Assert.Equal(byScore[cursor], result.Ranking[p].CandidateIndex);
            cursor++;
        }
    }

    [Fact]
    public void Max_explored_positions_caps_exploration()
    {
        var candidates = MixedCandidates(new Random(5), 30);
        var policy = new EpsilonGreedyPolicy(1, new ExplorationOptions { MaxExploredPositions = 2 });

        var result = policy.Rerank(candidates, 10, Now, new Random(1));

        Assert.Equal([0, 1], result.ExploredPositions);
    }

    [Fact]
    public void Ucb_shows_every_new_arm_once_before_repeating_any()
    {
        const int arms = 8;
        var book = new BanditArms();
        var ids = new string[arms];
        for (var i = 0; i < arms; i++)
        {
            ids[i] = $"arm-{i}";
            book.Observe(ids[i], Now);
        }

        var policy = new Ucb1Policy();
        var shown = new List<string>();
        var scores = new double[arms];
        for (var round = 0; round < arms; round++)
        {
            var result = policy.Rerank(book.Candidates(ids, scores, Now), 1, Now, new Random(round));
            var pick = result.Ranking[0].ArmId;
            shown.Add(pick);
            // Reward whatever was shown, which would keep a greedy policy stuck on the first arm.
            book.Apply([new RewardDelta(pick, 1, 1)], Now);
        }

        Assert.Equal(arms, shown.Distinct().Count());
    }

    [Fact]
    public void Ucb_prefers_the_better_arm_once_every_arm_has_evidence()
    {
        var candidates = new[]
        {
            new ArmCandidate("weak", 0, 1000, 50, LongAgo),
            new ArmCandidate("strong", 0, 1000, 200, LongAgo),
            new ArmCandidate("rarely-shown", 0, 2, 0, LongAgo),
        };
        var policy = new Ucb1Policy();

        var indices = policy.Indices(candidates, [true, true, true]);
        var result = policy.Rerank(candidates, 3, Now, new Random(0));

        // The barely-tried arm gets the largest bonus; among the well-tried ones the better mean wins.
        Assert.Equal("rarely-shown", result.Ranking[0].ArmId);
        Assert.Equal("strong", result.Ranking[1].ArmId);
        Assert.Equal(0.2 + Math.Sqrt(2 * Math.Log(2002) / 1000), indices[1], 1e-12);
    }

    [Fact]
    public void Thompson_converges_to_the_best_arm_with_lower_regret_than_uniform()
    {
        double[] rates = [0.04, 0.06, 0.08, 0.05, 0.12, 0.07, 0.03, 0.09];
        const int rounds = 6000;
        const int flushEvery = 20; // deltas reach the cohort pre-aggregated, like the once-a-second flush

        var thompson = Simulate(new ThompsonSamplingPolicy(), rates, rounds, flushEvery, new Random(17), out var pulls);
        var uniform = Simulate(new EpsilonGreedyPolicy(1), rates, rounds, flushEvery, new Random(17), out _);

        Assert.True(thompson < 0.5 * uniform, $"Thompson regret {thompson} vs uniform {uniform}");
        var best = Array.IndexOf(rates, rates.Max());
        Assert.Equal(best, Array.IndexOf(pulls, pulls.Max()));
        Assert.True(pulls[best] > rounds / 2, $"best arm pulled {pulls[best]} of {rounds}");
    }

    private static double Simulate(IExplorationPolicy policy, double[] rates, int rounds, int flushEvery, Random random, out int[] pulls)
    {
        var book = new BanditArms();
        var ids = new string[rates.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = $"arm-{i}";
            book.Observe(ids[i], Now);
        }

        var scores = new double[rates.Length];
        var pending = new Dictionary<string, (long Impressions, double Rewards)>();
        pulls = new int[rates.Length];
        var best = rates.Max();
        var regret = 0.0;
        for (var t = 0; t < rounds; t++)
        {
            var pick = policy.Rerank(book.Candidates(ids, scores, Now), 1, Now, random).Ranking[0].CandidateIndex;
            pulls[pick]++;
            regret += best - rates[pick];
            var reward = random.NextDouble() < rates[pick] ? 1 : 0;
            pending.TryGetValue(ids[pick], out var acc);
            pending[ids[pick]] = (acc.Impressions + 1, acc.Rewards + reward);
            if ((t + 1) % flushEvery == 0)
            {
                book.Apply(pending.Select(kv => new RewardDelta(kv.Key, kv.Value.Impressions, kv.Value.Rewards)).ToArray(), Now);
                pending.Clear();
            }
        }

        return regret;
    }

    private static IExplorationPolicy Create(string name, ExplorationOptions? options = null) => name switch
    {
        "epsilon" => new EpsilonGreedyPolicy(0.3, options),
        "ucb" => new Ucb1Policy(1, options),
        "thompson" => new ThompsonSamplingPolicy(1, 1, options),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // A realistic mix: old arms with data, old arms never shown, and new arms.
    private static List<ArmCandidate> MixedCandidates(Random random, int n)
    {
        var list = new List<ArmCandidate>(n);
        for (var i = 0; i < n; i++)
        {
            var kind = i % 3;
            var impressions = kind == 0 ? random.Next(10, 500) : 0;
            var rewards = kind == 0 ? Math.Floor(impressions * random.NextDouble() * 0.2) : 0;
            var firstSeen = kind == 2 ? Now.AddHours(-random.Next(0, 48)) : LongAgo;
            list.Add(new ArmCandidate($"item-{i}", random.NextDouble(), impressions, rewards, firstSeen));
        }

        return list;
    }

    private static int[] SortedByScore(List<ArmCandidate> candidates) =>
        Enumerable.Range(0, candidates.Count).OrderByDescending(i => candidates[i].Score).ThenBy(i => i).ToArray();

    private static int DistinctCount(RankedArm[] ranking) => ranking.Select(r => r.CandidateIndex).Distinct().Count();
}
