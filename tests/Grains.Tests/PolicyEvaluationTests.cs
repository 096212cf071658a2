using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Tests;

/// <summary>Off-policy evaluation end to end: ε-greedy serving logs its slot decisions, clicks reward them, the report estimates.</summary>
[Collection(TrainingCollection.Name)]
public sealed class PolicyEvaluationTests(TrainingFixture fixture)
{
    private const double LoggingEpsilon = 0.5;

    [Fact]
    public async Task Served_epsilon_greedy_slots_and_clicks_on_them_reach_the_cohorts_policy_evaluation()
    {
        var registry = await fixture.EnsureVersions(1);
        var cache = fixture.Service<ModelCache>();
        await Eventually.True(() => Task.FromResult(cache.Version == registry.ActiveVersion), "the cache serves the active version");
        var user = fixture.Client.GetGrain<IUserGrain>(fixture.World.Users[0].Id);
        var cohortId = (await user.Recommend(new RecommendationRequest(10))).CohortId ?? CohortSnapshotCache.Global;
        var cohort = fixture.Client.GetGrain<ICohortGrain>(cohortId);
        var snapshots = fixture.Service<CohortSnapshotCache>();
        var aggregator = fixture.Service<OutcomeAggregator>();
        var policy = new ServingPolicy(new EpsilonGreedyExploration(LoggingEpsilon), 1, 3);
        var outcomes = fixture.Client.GetGrain<IOutcomeGrain>(cohortId);
        var report = fixture.Client.GetGrain<IOutcomeReportGrain>(IOutcomeReportGrain.Key);
        var from = DateTimeOffset.UtcNow.AddHours(-1);
        try
        {
            await cohort.OverridePolicy(policy);
            await Eventually.True(() => Task.FromResult(snapshots.PolicyOf(cohortId) == policy), "the silo cache takes the ε-greedy override");
            // Other tests of this collection serve too (the trained default is ε-greedy): measure the difference.
            await Eventually.True(() => Task.FromResult(aggregator.Unsent().IsEmpty), "earlier outcomes are flushed");
            var before = await Sums(outcomes, from);

            // One response per user of the cohort (a user remembers only its last few responses for attribution).
            const int Responses = 30;
            var events = new List<InteractionEvent>();
            var clicks = 0;
            var served = 0;
            for (var u = 0; u < fixture.World.Users.Count && served < Responses; u++)
            {
                var id = fixture.World.Users[u].Id;
                var response = await fixture.Client.GetGrain<IUserGrain>(id).Recommend(new RecommendationRequest(10));
                if ((response.CohortId ?? CohortSnapshotCache.Global) != cohortId)
                {
                    continue;
                }

                Assert.Equal(10, response.Items.Count);
                // Click every slot decision that explored, and the greedy last slot of every third response.
                for (var p = 7; p < 10; p++)
                {
                    if (response.Items[p].Explored || (p == 9 && served % 3 == 0 && !response.Items[p].Explored))
                    {
                        events.Add(new InteractionEvent($"ope-{u}-{p}", id, response.Items[p].ItemId, InteractionType.Click, null, DateTimeOffset.UtcNow, "mobile", DateTimeOffset.UtcNow)
                        {
                            RecommendationId = Guid.ParseExact(response.RecommendationId, "N"),
                            Position = p,
                        });
                        clicks++;
                    }
                }

                served++;
            }

            Assert.Equal(Responses, served);
            Assert.InRange(clicks, 10, Responses * 3 - 1);
            await fixture.Publish(events);
            var seen = before;
            await Eventually.True(
                async () => (seen = await Sums(outcomes, from)).Rewards - before.Rewards == clicks,
                "the clicks on the logged slots reach the cohort's outcome grain",
                diagnostics: () => $"before {before}, now {seen}, clicks {clicks}, unsent {aggregator.Unsent()}");
            var mine = Minus(await Sums(outcomes, from), before);

            Assert.Equal(Responses * 3, mine.Decisions);
            Assert.Equal(clicks, mine.Rewards);
            // Under the logging ε every weight is 1 (μ is stored as a float): the propensities are the policy's own.
            var logged = mine.For(LoggingEpsilon);
            Assert.Equal(mine.Decisions, logged.Weights, 3);
            Assert.Equal(mine.Rewards, logged.WeightedRewards, 3);
            // A greedy-only candidate puts weight only on greedy placements, each 1/μ ≥ 1.
            Assert.True(mine.For(0).Weights > 0);

            var evaluation = await report.EvaluatePolicies(new PolicyEvaluationQuery(cohortId, from, DateTimeOffset.UtcNow.AddMinutes(1), [0, 0.1, LoggingEpsilon]));
            var total = await Sums(outcomes, from);
            Assert.Equal(cohortId, evaluation.CohortId);
            Assert.Equal(total.Decisions, evaluation.Decisions);
            Assert.Equal(total.Rewards, evaluation.Clicks);
            Assert.Equal(OutcomeIntervals.Wilson(total.Rewards, total.Decisions), evaluation.LoggedCtr);
            Assert.Equal([0, 0.1, LoggingEpsilon], evaluation.Candidates.Select(c => c.Epsilon));
            var expected = EpsilonGreedyEvaluation.Estimate(total, [0, 0.1, LoggingEpsilon]);
            for (var i = 0; i < expected.Length; i++)
            {
                var c = evaluation.Candidates[i];
                Assert.Equal(expected[i].Estimate.Ips, c.Ips.Value, 12);
                Assert.Equal(expected[i].Estimate.SelfNormalized, c.SelfNormalizedIps.Value, 12);
                Assert.True(c.Ips.Low <= c.Ips.Value && c.Ips.Value <= c.Ips.High);
                Assert.True(c.EffectiveSampleSize > 0 && c.EffectiveSampleSize <= total.Decisions + 1e-6);
            }
        }
        finally
        {
            await cohort.ClearPolicyOverride();
        }
    }

    private static async Task<SlotDecisionSums> Sums(IOutcomeGrain outcomes, DateTimeOffset from)
    {
        var sums = default(SlotDecisionSums);
        foreach (var row in await outcomes.GetRows(OutcomeGranularity.Hour, from, DateTimeOffset.UtcNow.AddMinutes(1)))
        {
            sums = sums.Plus(row.Counts.Decisions);
        }

        return sums;
    }

    private static SlotDecisionSums Minus(SlotDecisionSums a, SlotDecisionSums b) => new(
        a.Decisions - b.Decisions,
        a.Rewards - b.Rewards,
        a.Greedy - b.Greedy,
        a.Uniform - b.Uniform,
        a.GreedySquared - b.GreedySquared,
        a.GreedyUniform - b.GreedyUniform,
        a.UniformSquared - b.UniformSquared,
        a.RewardGreedy - b.RewardGreedy,
        a.RewardUniform - b.RewardUniform,
        a.RewardGreedySquared - b.RewardGreedySquared,
        a.RewardGreedyUniform - b.RewardGreedyUniform,
        a.RewardUniformSquared - b.RewardUniformSquared);
}
