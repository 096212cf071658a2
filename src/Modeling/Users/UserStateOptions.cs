using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Users;

/// <summary>What a user's state is bounded by; one immutable instance per silo (from Cohortly:Users).</summary>
public sealed record UserStateOptions
{
    public static UserStateOptions Default { get; } = new();

    public ProfileOptions Profile { get; init; } = ProfileOptions.Default;

    /// <summary>A retried event id inside this window is applied once.</summary>
    public TimeSpan DeduplicationWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Cohort transitions kept (oldest go first).</summary>
    public int MaxTransitions { get; init; } = 50;

    /// <summary>How long after a response a click, cart add or purchase is still attributed to it.</summary>
    public TimeSpan AttributionWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Responses kept for attribution (the oldest goes first; expired ones go when the next is served).</summary>
    public int RecentRecommendations { get; init; } = 8;
}

/// <summary>One change of the user's cohort, as stored (the same JSON the grain's transitions always had).</summary>
public sealed record CohortChange(int? From, int To, DateTimeOffset At, long SegmentationVersion);
