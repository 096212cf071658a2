using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Users;

namespace Cohortly.Modeling.Tests.Users;

public sealed class UserStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_retried_event_id_is_accepted_once_and_counted_as_a_duplicate()
    {
        var state = new UserState();

        Assert.True(state.Accept("e1", T0, UserStateOptions.Default));
        Assert.False(state.Accept("e1", T0.AddHours(1), UserStateOptions.Default));
        Assert.True(state.Accept("e1", T0.AddDays(2), UserStateOptions.Default));
        Assert.Equal(1, state.DuplicatesIgnored);
    }

    [Fact]
    public void Positions_at_or_below_the_last_applied_one_are_replays()
    {
        var state = new UserState();
        Assert.False(state.IsApplied(new LogPosition(1, 0, 0)));

        state.LastApplied = new LogPosition(5, 2, 1);

        Assert.True(state.IsApplied(new LogPosition(5, 2, 1)));
        Assert.True(state.IsApplied(new LogPosition(5, 1, 9)));
        Assert.True(state.IsApplied(new LogPosition(4, 9, 9)));
        Assert.False(state.IsApplied(new LogPosition(5, 2, 2)));
        Assert.False(state.IsApplied(new LogPosition(6, 0, 0)));
    }

    [Fact]
    public void Only_users_with_history_and_an_older_assignment_need_reassignment()
    {
        var state = new UserState { SegmentationVersion = 3 };
        Assert.False(state.NeedsReassignment(4));

        state.Profile.Apply(new Interaction("u", "i", InteractionType.View, null, T0.ToUnixTimeMilliseconds(), null), null, UserStateOptions.Default.Profile);

        Assert.True(state.NeedsReassignment(4));
        Assert.False(state.NeedsReassignment(3));
    }

    private static SegmentationModel Model(long version) =>
        new(version, ["x"], new FeatureScaler([0f], [1f]), [[0f], [10f]], [7, 8], ["low", "high"]);

    [Fact]
    public void Reassignment_records_a_transition_only_when_the_cohort_changes_and_keeps_the_newest_ones()
    {
        var state = new UserState();
        var options = UserStateOptions.Default with { MaxTransitions = 2 };

        Assert.Equal(new CohortChange(null, 7, T0, 1), state.Reassign(Model(1), [1f], T0, options));
        Assert.Null(state.Reassign(Model(2), [2f], T0.AddMinutes(1), options));
        Assert.Equal(new CohortChange(7, 8, T0.AddMinutes(2), 2), state.Reassign(Model(2), [9f], T0.AddMinutes(2), options));
        state.Reassign(Model(3), [0f], T0.AddMinutes(3), options);

        Assert.Equal(7, state.CohortId);
        Assert.Equal(T0.AddMinutes(3), state.CohortSince);
        Assert.Equal(3, state.SegmentationVersion);
        Assert.Equal([8, 7], state.Transitions.Select(t => t.To));
    }

    [Fact]
    public void Attributes_are_copied_and_an_empty_set_clears_them()
    {
        var state = new UserState();
        var attributes = new Dictionary<string, string> { ["plan"] = "gold" };

        state.SetAttributes(attributes);
        attributes["plan"] = "changed";
        Assert.Equal("gold", state.Attributes!["plan"]);

        state.SetAttributes(new Dictionary<string, string>());
        Assert.Null(state.Attributes);
    }
}
