using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Users;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Users;

/// <summary>The logging path of off-policy evaluation: served slot decisions and the first click on them as outcome sums.</summary>
public sealed class SlotDecisionLoggingTests
{
    private static readonly DateTimeOffset T0 = ServedScenario.T0;
    private static readonly UserStateOptions Options = UserStateOptions.Default with { AttributionWindow = TimeSpan.FromHours(24), RecentRecommendations = 4 };
    private static readonly OutcomeKey CohortKey = ServedScenario.CohortKey;
    private static readonly OutcomeKey ExploredKey = CohortKey with { Strategy = ServedStrategy.Explored };

    // Slot 1 explored an arm among 4 open (μ = 0.2·1/4); slot 2 kept the greedy arm (μ = 0.8 + 0.2/4).
    private static readonly SlotDecision Explored = SlotDecision.EpsilonGreedy(0.2, greedy: false, openEligible: true, open: 4);
    private static readonly SlotDecision Greedy = SlotDecision.EpsilonGreedy(0.2, greedy: true, openEligible: true, open: 4);

    private readonly RecordingOutcomeRecorder _outcomes = new();

    private ServedRecommendation Serve(UserState state)
    {
        var served = state.RememberCohortResponse(3, Options, Guid.Empty);
        served.SetSlot(0, "a", false);
        served.SetSlot(1, "b", true, Explored);
        served.SetSlot(2, "c", false, Greedy);
        served.RecordExposure(_outcomes);
        return served;
    }

    private Attribution Click(UserState state, string item) =>
        state.ApplyAt(item, InteractionType.Click, T0.AddMinutes(1), Options, _outcomes, reference: new FeedbackReference(Guid.Empty, null));

    [Fact]
    public void Served_decisions_count_under_their_slots_keys_and_the_first_click_adds_the_reward()
    {
        var state = new UserState();
        var served = Serve(state);

        Assert.False(served.DecisionAt(0).IsLogged);
        Assert.Equal(Explored.Propensity, served.DecisionAt(1).Propensity, 6);
        Assert.Equal(Explored with { Propensity = served.DecisionAt(1).Propensity }, served.DecisionAt(1));
        Assert.Equal(Greedy with { Propensity = served.DecisionAt(2).Propensity }, served.DecisionAt(2));
        Assert.Equal(1, _outcomes.Total(ExploredKey).Decisions.Decisions);
        Assert.Equal(1, _outcomes.Total(CohortKey).Decisions.Decisions);

        Assert.Equal(AttributionResult.Attributed, Click(state, "b").Result);
        Assert.Equal(AttributionResult.Attributed, Click(state, "a").Result);
        Assert.Equal(AttributionResult.AlreadyCounted, Click(state, "b").Result);

        var explored = _outcomes.Total(ExploredKey).Decisions;
        Assert.Equal(1, explored.Rewards);
        Assert.Equal(SlotDecisionSums.Served(served.DecisionAt(1)).Plus(SlotDecisionSums.Rewarded(served.DecisionAt(1))), explored);
        // The click on the unlogged slot 0 adds no reward; the greedy slot 2 was not clicked.
        Assert.Equal(0, _outcomes.Total(CohortKey).Decisions.Rewards);
        // Under the logging ε both decisions weigh 1.
        var all = explored.Plus(_outcomes.Total(CohortKey).Decisions).For(0.2);
        Assert.Equal(2, all.Weights, 5);
        Assert.Equal(1, all.WeightedRewards, 5);
    }

    [Fact]
    public void Decisions_survive_storage_and_a_response_without_them_stores_no_extra_fields()
    {
        var state = new UserState();
        var served = Serve(state);
        var copy = JsonSerializer.Deserialize<UserState>(JsonSerializer.Serialize(state))!.Recommendations[0];
        Assert.Equal(served.DecisionAt(1), copy.DecisionAt(1));
        Assert.Equal(served.DecisionAt(2), copy.DecisionAt(2));

        var plain = state.RememberCohortResponse(2, Options);
        plain.SetSlot(0, "x", false);
        plain.SetSlot(1, "y", true);
        var json = JsonSerializer.Serialize(state);
        Assert.Equal(1, CountOf(json, "Propensities"));
        Assert.Equal(1, CountOf(json, "\"Open\""));
    }

    [Fact]
    public void A_recycled_place_keeps_nothing_of_the_response_before_and_serving_allocates_nothing_new()
    {
        var state = new UserState();
        for (var i = 0; i < Options.RecentRecommendations; i++)
        {
            Serve(state);
        }

        // The ring is full: the next response takes the oldest one's place, here without any logged decision.
        var plain = state.RememberCohortResponse(3, Options);
        Assert.Equal(Options.RecentRecommendations, state.Recommendations.Count);
        Assert.Equal(plain.Id, state.Recommendations[^1].Id);
        plain.SetSlot(0, "x", false);
        plain.SetSlot(1, "y", true);
        plain.SetSlot(2, "z", false);
        Assert.False(plain.HasDecisions);
        Assert.False(plain.DecisionAt(1).IsLogged);
        Assert.Equal(["x", "y", "z"], plain.Items);

        // Warm (the ring and its slots exist), remembering and filling a response of the reserved width allocates nothing.
        var items = Enumerable.Range(0, ServedLog.DefaultWidth).Select(i => $"item-{i}").ToArray();
        var allocated = Allocations.FewestBytes(() =>
        {
            for (var n = 0; n < 1_000; n++)
            {
                var served = state.RememberCohortResponse(items.Length, Options, Guid.Empty);
                for (var i = 0; i < items.Length; i++)
                {
                    served.SetSlot(i, items[i], i == 1, i == 1 ? Explored : default);
                }
            }
        });

        // Zero per response; one allocation per response would be at least 24 bytes × 1,000 in every round.
        Assert.True(allocated < 1024, $"{allocated} bytes allocated by 1,000 responses");
    }

    [Fact]
    public void A_response_wider_than_the_reserved_slots_grows_the_ring_once_and_keeps_the_older_responses()
    {
        var state = new UserState();
        var old = Serve(state);
        var wide = state.RememberCohortResponse(25, Options, at: T0.AddMinutes(1));
        for (var i = 0; i < 25; i++)
        {
            wide.SetSlot(i, $"w{i}", false);
        }

        Assert.Equal(2, state.Recommendations.Count);
        var kept = state.Recommendations[0];
        Assert.Equal(["a", "b", "c"], kept.Items);
        Assert.Equal(Explored with { Propensity = kept.DecisionAt(1).Propensity }, kept.DecisionAt(1));
        Assert.Equal(25, state.Recommendations[1].Count);
        Assert.Equal("w24", state.Recommendations[1].ItemAt(24));
        Assert.Equal(AttributionResult.Attributed, ClickWithoutId(state, "w24").Result);
        Assert.Equal(AttributionResult.Attributed, ClickWithoutId(state, "b").Result);
        Assert.Equal(old.Id, state.Recommendations[0].Id);
    }

    private Attribution ClickWithoutId(UserState state, string item) =>
        state.ApplyAt(item, InteractionType.Click, T0.AddMinutes(2), Options, _outcomes, reference: new FeedbackReference(null, null));

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    [Fact]
    public void Outcome_buckets_store_decision_sums_only_where_there_are_any()
    {
        var store = new OutcomeStore(OutcomeRetention.Default);
        var sums = SlotDecisionSums.Served(Explored).Plus(SlotDecisionSums.Rewarded(Explored));
        store.Add(ExploredKey, new OutcomeCounts { Impressions = 1, Clicks = 1, Decisions = sums }, T0);
        store.Add(CohortKey, new OutcomeCounts { Exposures = 1, Impressions = 2 }, T0);

        var state = JsonSerializer.Deserialize<OutcomeStoreState>(JsonSerializer.Serialize(store.ToState()))!;
        Assert.All(state.Buckets, b => Assert.Equal(state.Keys[b.KeyIndex] == ExploredKey ? 21 : 9, b.Counts.Length));
        var restored = OutcomeStore.FromState(state, OutcomeRetention.Default);
        var row = Assert.Single(restored.Rows(OutcomeGranularity.Hour, T0, T0.AddHours(1)), r => r.Key == ExploredKey);
        Assert.Equal(sums, row.Counts.Decisions);
        Assert.True(Assert.Single(restored.Rows(OutcomeGranularity.Hour, T0, T0.AddHours(1)), r => r.Key == CohortKey).Counts.Decisions.IsEmpty);
    }
}
