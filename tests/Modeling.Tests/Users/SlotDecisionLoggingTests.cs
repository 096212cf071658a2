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
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly UserStateOptions Options = UserStateOptions.Default with { AttributionWindow = TimeSpan.FromHours(24), RecentRecommendations = 4 };
    private static readonly OutcomeKey CohortKey = new(3, 7, "", "", ServedStrategy.CohortModel);
    private static readonly OutcomeKey ExploredKey = CohortKey with { Strategy = ServedStrategy.Explored };

    // Slot 1 explored an arm among 4 open (μ = 0.2·1/4); slot 2 kept the greedy arm (μ = 0.8 + 0.2/4).
    private static readonly SlotDecision Explored = SlotDecision.EpsilonGreedy(0.2, greedy: false, openEligible: true, open: 4);
    private static readonly SlotDecision Greedy = SlotDecision.EpsilonGreedy(0.2, greedy: true, openEligible: true, open: 4);

    private readonly RecordingOutcomeRecorder _outcomes = new();

    private ServedRecommendation Serve(UserState state)
    {
        var served = state.Remember(Guid.Empty, T0, 3, 7, ServedStrategy.CohortModel, 3, Options);
        served.SetSlot(0, "a", false);
        served.SetSlot(1, "b", true, Explored);
        served.SetSlot(2, "c", false, Greedy);
        served.RecordExposure(_outcomes);
        return served;
    }

    private Attribution Click(UserState state, string item) =>
        state.Apply(new Interaction("u", item, InteractionType.Click, null, T0.AddMinutes(1).ToUnixTimeMilliseconds(), "web"), null, T0.AddMinutes(1), new FeedbackReference(Guid.Empty, null), Options, _outcomes);

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
        var copy = JsonSerializer.Deserialize<ServedRecommendation>(JsonSerializer.Serialize(served))!;
        Assert.Equal(served.DecisionAt(1), copy.DecisionAt(1));
        Assert.Equal(served.DecisionAt(2), copy.DecisionAt(2));

        var plain = state.Remember(Guid.NewGuid(), T0, 3, 7, ServedStrategy.CohortModel, 2, Options);
        plain.SetSlot(0, "x", false);
        plain.SetSlot(1, "y", true);
        var json = JsonSerializer.Serialize(plain);
        Assert.DoesNotContain("Propensities", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Open", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recycled_entry_reuses_its_decision_arrays_and_keeps_nothing_of_the_response_before()
    {
        var state = new UserState();
        var first = Serve(state);
        var propensities = first.Propensities;
        for (var i = 1; i < Options.RecentRecommendations; i++)
        {
            Serve(state);
        }

        // The list is full: the next response recycles the first entry, here without any logged decision.
        var plain = state.Remember(Guid.NewGuid(), T0, 3, 7, ServedStrategy.CohortModel, 3, Options);
        Assert.Same(first, plain);
        plain.SetSlot(0, "x", false);
        plain.SetSlot(1, "y", true);
        plain.SetSlot(2, "z", false);
        Assert.Null(plain.Propensities);
        Assert.Null(plain.Open);
        Assert.False(plain.DecisionAt(1).IsLogged);
        Assert.DoesNotContain("Propensities", JsonSerializer.Serialize(plain), StringComparison.Ordinal);

        // Once every entry has been recycled, a response that logs a decision refills an old entry's arrays in place.
        for (var i = 1; i < Options.RecentRecommendations; i++)
        {
            Serve(state);
        }

        var again = Serve(state);
        Assert.Same(first, again);
        Assert.Same(propensities, again.Propensities);
        Assert.False(again.DecisionAt(0).IsLogged);
        Assert.Equal(Explored with { Propensity = again.DecisionAt(1).Propensity }, again.DecisionAt(1));
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
