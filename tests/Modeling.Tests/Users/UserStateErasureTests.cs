using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Users;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Users;

public sealed class UserStateErasureTests
{
    private static readonly DateTimeOffset T0 = ServedScenario.T0;
    private static readonly UserStateOptions Options = UserStateOptions.Default;
    private readonly RecordingOutcomeRecorder _outcomes = new();

    private UserState StateWithHistory()
    {
        var state = new UserState { LastApplied = new LogPosition(10, 0, 0) };
        state.SetAttributes(new Dictionary<string, string> { ["country"] = "de", ["age"] = "25-34" });
        var served = state.Remember(Guid.NewGuid(), T0, 2, 7, ServedStrategy.CohortModel, 1, Options);
        served.SetSlot(0, "i1", explored: false);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(state.Accept($"e{i}", T0, Options));
            state.ApplyAt("i1", InteractionType.Click, T0, Options, _outcomes);
        }

        state.Transitions = [new CohortChange(null, 2, T0, 1)];
        state.CohortId = 2;
        return state;
    }

    [Fact]
    public void Erasure_forgets_everything_but_the_tombstone_and_says_what_it_removed()
    {
        var state = StateWithHistory();

        var removed = state.Erase(T0.AddHours(1), T0.AddHours(1), new LogPosition(12, 3, int.MaxValue));

        Assert.Equal(new UserStateErasure(3, 1, 1, 2), removed);
        Assert.Equal(0, state.Profile.TotalEvents);
        Assert.Null(state.CohortId);
        Assert.Empty(state.Transitions);
        Assert.Null(state.Attributes);
        Assert.Equal(0, state.Recommendations.Count);
        Assert.True(state.Accept("e0", T0.AddHours(2), Options)); // the dedupe went too: an old id is a new event
        Assert.Equal(T0.AddHours(1), state.ErasedAt);
        Assert.True(state.IsApplied(new LogPosition(12, 3, 5)));
        Assert.False(state.IsApplied(new LogPosition(12, 4, 0)));
        Assert.True(state.IsErasedPast(T0.AddHours(1)));
        Assert.False(state.IsErasedPast(T0.AddHours(1).AddTicks(1)));

        Assert.Equal(new UserStateErasure(0, 0, 0, 0), state.Erase(T0.AddHours(3), null, new LogPosition(1, 0, 0)));
        Assert.Equal(new LogPosition(12, 3, int.MaxValue), state.LastApplied); // a cut never moves back
        Assert.Equal(T0.AddHours(1), state.ErasedThrough);
    }

    [Fact]
    public void Rows_of_models_trained_before_the_erasure_or_within_the_clock_margin_are_ignored()
    {
        var state = new UserState();
        Assert.False(state.IgnoresTrainedRow(T0));

        state.Erase(T0, null, null);

        Assert.True(state.IgnoresTrainedRow(T0.AddHours(-1)));
        Assert.True(state.IgnoresTrainedRow(T0 + UserState.ErasureClockMargin));
        Assert.False(state.IgnoresTrainedRow(T0 + UserState.ErasureClockMargin + TimeSpan.FromSeconds(1)));
        state.PersonalizationWithheld = true;
        Assert.True(state.IgnoresTrainedRow(T0.AddDays(1)));
    }

    [Fact]
    public void Withheld_consent_keeps_served_responses_and_dedupe_and_applies_no_event_to_the_profile()
    {
        var state = StateWithHistory();

        var removed = state.Erase(T0.AddHours(1), null, null, keepServing: true);
        state.PersonalizationWithheld = true;

        Assert.Equal(new UserStateErasure(3, 0, 1, 2), removed);
        Assert.Equal(1, state.Recommendations.Count);
        Assert.False(state.Accept("e1", T0.AddHours(1), Options));
        var attribution = state.ApplyAt("i1", InteractionType.Purchase, T0.AddHours(1), Options, _outcomes, 10);
        Assert.Equal(AttributionResult.Attributed, attribution.Result);
        Assert.Equal(0, state.Profile.TotalEvents);
    }
}
