using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Users;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Users;

/// <summary>Buy-again slots count under their own strategy, like explored slots under theirs, and survive a save.</summary>
public sealed class BuyAgainOutcomeTests
{
    private static readonly UserStateOptions Options = UserStateOptions.Default;
    private static readonly OutcomeKey Plain = ServedScenario.CohortKey;

    private readonly RecordingOutcomeRecorder _outcomes = new();

    private static ServedRecommendation Remember(UserState state)
    {
        var served = state.RememberCohortResponse(3, Options);
        served.SetSlot(0, "coffee", false, buyAgain: true);
        served.SetSlot(1, "a", false);
        served.SetSlot(2, "explored", true);
        return served;
    }

    [Fact]
    public void A_buy_again_slot_counts_its_impression_and_purchase_under_the_buy_again_strategy()
    {
        var state = new UserState();
        Remember(state).RecordExposure(_outcomes);

        Assert.Equal(new OutcomeCounts { Exposures = 1, Impressions = 1 }, _outcomes.Total(Plain));
        Assert.Equal(new OutcomeCounts { Impressions = 1 }, _outcomes.Total(Plain with { Strategy = ServedStrategy.BuyAgain }));
        Assert.Equal(new OutcomeCounts { Impressions = 1 }, _outcomes.Total(Plain with { Strategy = ServedStrategy.Explored }));
        _outcomes.Clear();

        state.ApplyAt("coffee", InteractionType.Purchase, ServedScenario.T0.AddMinutes(2), Options, _outcomes, 9.5, device: null);

        Assert.Equal(1, _outcomes.Total(Plain with { Strategy = ServedStrategy.BuyAgain }).Purchases);
        Assert.Equal(0, _outcomes.Total(Plain with { Strategy = ServedStrategy.Explored }).Purchases);
        Assert.Equal("buyAgain", OutcomeGrouping.StrategyName(ServedStrategy.BuyAgain));
    }

    [Fact]
    public void The_buy_again_flag_survives_the_stored_state()
    {
        var state = new UserState();
        Remember(state);

        var read = JsonSerializer.Deserialize<UserState>(JsonSerializer.Serialize(state))!;

        Assert.True(read.Recommendations[0].IsBuyAgain(0));
        Assert.False(read.Recommendations[0].IsBuyAgain(1));
        Assert.Equal(ServedStrategy.BuyAgain, read.Recommendations[0].KeyOf(0).Strategy);
    }
}
