using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Users;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Users;

/// <summary>Outcomes split by merchandising rule: a ruled slot counts under its rule, the response never does.</summary>
public sealed class RuleOutcomeTests
{
    private static readonly UserStateOptions Options = UserStateOptions.Default;
    private static readonly OutcomeKey Plain = ServedScenario.CohortKey;

    private readonly RecordingOutcomeRecorder _outcomes = new();

    private ServedRecommendation Serve(UserState state)
    {
        var served = state.RememberCohortResponse(4, Options);
        served.SetSlot(0, "pinned", false, rule: "hero");
        served.SetSlot(1, "a", false);
        served.SetSlot(2, "boosted", false, rule: "push");
        served.SetSlot(3, "explored", true);
        served.RecordExposure(_outcomes);
        return served;
    }

    [Fact]
    public void A_ruled_slot_counts_its_impression_and_click_under_its_rule_and_the_exposure_under_no_rule()
    {
        var state = new UserState();
        Serve(state);

        Assert.Equal(new OutcomeCounts { Exposures = 1, Impressions = 1 }, _outcomes.Total(Plain));
        Assert.Equal(new OutcomeCounts { Impressions = 1 }, _outcomes.Total(Plain with { Rule = "hero" }));
        Assert.Equal(new OutcomeCounts { Impressions = 1 }, _outcomes.Total(Plain with { Rule = "push" }));
        Assert.Equal(new OutcomeCounts { Impressions = 1 }, _outcomes.Total(Plain with { Strategy = ServedStrategy.Explored }));
        _outcomes.Clear();

        state.ApplyAt("pinned", InteractionType.Click, ServedScenario.T0.AddMinutes(1), Options, _outcomes, device: null);

        Assert.Equal(1, _outcomes.Total(Plain with { Rule = "hero" }).Clicks);
        Assert.Equal(0, _outcomes.Total(Plain).Clicks);
    }

    [Fact]
    public void Grouping_by_rule_puts_unruled_keys_under_none()
    {
        Assert.Equal("hero", OutcomeGrouping.KeyOf(Plain with { Rule = "hero" }, OutcomeGroupBy.Rule));
        Assert.Equal(OutcomeGrouping.NoRule, OutcomeGrouping.KeyOf(Plain, OutcomeGroupBy.Rule));
    }

    [Fact]
    public void Rules_are_stored_only_for_responses_that_had_one_and_an_old_key_without_a_rule_still_reads()
    {
        var state = new UserState();
        Serve(state);
        var plain = state.RememberCohortResponse(1, Options);
        plain.SetSlot(0, "a", false);

        var json = JsonSerializer.Serialize(state);
        Assert.Contains("\"Rules\":[\"hero\",null,\"push\",null]", json, StringComparison.Ordinal);
        Assert.Equal(json.IndexOf("\"Rules\"", StringComparison.Ordinal), json.LastIndexOf("\"Rules\"", StringComparison.Ordinal));
        Assert.Equal("hero", JsonSerializer.Deserialize<UserState>(json)!.Recommendations[0].RuleAt(0));
        Assert.DoesNotContain("Rule", JsonSerializer.Serialize(Plain), StringComparison.Ordinal);
        Assert.Equal(Plain, JsonSerializer.Deserialize<OutcomeKey>("""{"CohortId":3,"ModelVersion":7,"Experiment":"","Variant":"","Strategy":0}"""));
    }
}
