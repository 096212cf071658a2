using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Users;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Users;

/// <summary>Per-silo, immutable user grain settings, so 100k activations share one copy.</summary>
/// <remarks>
/// <see cref="Profile"/> is the silo's one <see cref="ProfileOptions"/> (from Cohortly:Users), the same instance
/// training's <see cref="Modeling.Training.TrainingOptions.Profile"/> holds.
/// </remarks>
public sealed class UserGrainSettings(IOptions<CohortlyOptions> options, ProfileOptions profile, CohortlyBackend backend)
{
    public ProfileOptions Profile { get; } = profile;

    public TimeSpan WriteBehind { get; } = options.Value.Users.WriteBehind;

    /// <summary>The backend's <see cref="CohortlyBackend.StateOutlivesProcess"/>: whether a save at silo shutdown is worth making.</summary>
    public bool StateOutlivesProcess { get; } = backend.StateOutlivesProcess;

    /// <summary>Whether a user deactivating for <paramref name="reason"/> saves what is pending (<see cref="CohortlyBackend.SavesOnDeactivation(DeactivationReason, bool)"/>).</summary>
    public bool SavesOnDeactivation(DeactivationReason reason) => CohortlyBackend.SavesOnDeactivation(reason, StateOutlivesProcess);

    /// <summary>Buy-again slots per response when the request does not say (Cohortly:Repeats:Slots).</summary>
    public int BuyAgainSlots { get; } = options.Value.Repeats.Slots;

    /// <summary>The bounds of every user's state (dedupe and attribution windows, transitions, recent responses).</summary>
    public UserStateOptions State { get; } = new()
    {
        Profile = profile,
        DeduplicationWindow = options.Value.Users.DeduplicationWindow,
        MaxTransitions = options.Value.Users.MaxTransitions,
        AttributionWindow = options.Value.Users.AttributionWindow,
        RecentRecommendations = options.Value.Users.RecentRecommendations,
    };
}
