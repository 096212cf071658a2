using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Users;

namespace Cohortly.Modeling.Tests.Users;

/// <summary>
/// What the user-state outcome tests share: one clock start, the key of a response served to cohort 3 by model 7's
/// cohort weights, and the two calls they make on a <see cref="UserState"/> (remember a response, apply an event).
/// </summary>
internal static class ServedScenario
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly OutcomeKey CohortKey = new(3, 7, "", "", ServedStrategy.CohortModel);

    /// <summary>Remembers a response of <paramref name="slots"/> slots served at <paramref name="at"/> (else <see cref="T0"/>) under <see cref="CohortKey"/>.</summary>
    public static ServedRecommendation RememberCohortResponse(this UserState state, int slots, UserStateOptions options, Guid? id = null, DateTimeOffset? at = null) =>
        state.Remember(id ?? Guid.NewGuid(), at ?? T0, 3, 7, ServedStrategy.CohortModel, slots, options);

    /// <summary>Applies user "u"'s event on <paramref name="item"/> at <paramref name="at"/> (event time and receipt time alike).</summary>
    public static Attribution ApplyAt(
        this UserState state,
        string item,
        InteractionType type,
        DateTimeOffset at,
        UserStateOptions options,
        IOutcomeRecorder outcomes,
        double? value = null,
        string? device = "web",
        FeedbackReference reference = default) =>
        state.Apply(new Interaction("u", item, type, value, at.ToUnixTimeMilliseconds(), device), null, at, reference, options, outcomes);
}
