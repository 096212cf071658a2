using System.Text.Json.Serialization;
using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Streaming.Redis;

namespace Cohortly.Grains.Users;

/// <summary>
/// Persisted state of a user grain (System.Text.Json in storage). Empty and zero members are left out of the
/// JSON (they read back as their defaults): in the embedded mode the memory storage keeps a copy per user.
/// </summary>
public sealed class UserState
{
    public UserProfile Profile { get; set; } = new();

    public EventDeduplicator Seen { get; set; } = new();

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long DuplicatesIgnored { get; set; }

    /// <summary>
    /// Last applied Redis stream position (cluster mode). A user maps to one partition, so
    /// positions only grow; anything at or below this one is a replay and is ignored.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RedisStreamPosition? LastApplied { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? CohortId { get; set; }

    public long SegmentationVersion { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? CohortSince { get; set; }

    /// <summary>Oldest first. Users never assigned a cohort share one empty list.</summary>
    public IReadOnlyList<CohortTransition> Transitions { get; set; } = [];

    /// <summary>Attributes from PUT /v1/users/{id}/attributes; null until set (most users never have any).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Attributes { get; set; }

    /// <summary>Most recent last; kept for attributing later clicks and purchases. Null until the first recommendation.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RecommendationIdRing? RecentRecommendationIds { get; set; }
}
