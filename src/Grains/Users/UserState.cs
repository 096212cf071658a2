using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Streaming.Redis;

namespace Cohortly.Grains.Users;

/// <summary>Persisted state of a user grain (System.Text.Json in storage).</summary>
public sealed class UserState
{
    public UserProfile Profile { get; set; } = new();

    public EventDeduplicator Seen { get; set; } = new();

    public long DuplicatesIgnored { get; set; }

    /// <summary>
    /// Last applied Redis stream position (cluster mode). A user maps to one partition, so
    /// positions only grow; anything at or below this one is a replay and is ignored.
    /// </summary>
    public RedisStreamPosition? LastApplied { get; set; }

    public int? CohortId { get; set; }

    public long SegmentationVersion { get; set; }

    public DateTimeOffset? CohortSince { get; set; }

    public List<CohortTransition> Transitions { get; set; } = [];

    /// <summary>Attributes from PUT /v1/users/{id}/attributes; null until set (most users never have any).</summary>
    public Dictionary<string, string>? Attributes { get; set; }

    /// <summary>Most recent last; kept for attributing later clicks and purchases.</summary>
    public List<string> RecentRecommendationIds { get; set; } = [];
}
