using System.Text.Json.Serialization;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Users;

/// <summary>
/// One user's state and everything that changes it, without Orleans: the live profile, event-id and log-position
/// dedupe, cohort membership and its transitions, attributes, and the recent responses that later events are
/// attributed to. The user grain holds one, feeds it events and responses, and persists it (System.Text.Json).
/// </summary>
/// <remarks>
/// Empty and zero members are left out of the JSON (they read back as their defaults): in the embedded mode the
/// memory storage keeps a copy per user. States stored before this type existed load unchanged (the grain held the
/// same members, with the Redis position read by <see cref="LogPositionJsonConverter"/>); their recommendation
/// ids (<c>RecentRecommendationIds</c>, ids without items) are dropped on load.
/// </remarks>
public sealed class UserState
{
    public UserProfile Profile { get; set; } = new();

    public EventDeduplicator Seen { get; set; } = new();

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long DuplicatesIgnored { get; set; }

    /// <summary>
    /// Last applied log position (cluster mode). A user maps to one log partition, so positions only grow; anything
    /// at or below this one is a replay and is ignored.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LogPosition? LastApplied { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? CohortId { get; set; }

    public long SegmentationVersion { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? CohortSince { get; set; }

    /// <summary>Oldest first. Users never assigned a cohort share one empty list.</summary>
    public IReadOnlyList<CohortChange> Transitions { get; set; } = [];

    /// <summary>Attributes from PUT /v1/users/{id}/attributes; null until set (most users never have any).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Attributes { get; set; }

    /// <summary>
    /// The recent non-empty responses, oldest first, for attributing later clicks, cart adds and purchases: a flat ring
    /// allocated with the state, so that serving stores nothing new into a state that is usually old
    /// (<see cref="ServedLog"/>).
    /// </summary>
    [JsonIgnore]
    public ServedLog Recommendations { get; private set; } = new();

    /// <summary>The stored form of <see cref="Recommendations"/>: left out of the JSON while it is empty.</summary>
    [JsonPropertyName("Recommendations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ServedLog? StoredRecommendations
    {
        get => Recommendations.Count == 0 ? null : Recommendations;
        set => Recommendations = value ?? new ServedLog();
    }

    /// <summary>
    /// When the user was last erased (the tombstone of an erasure; null for users never erased). Rows of a model
    /// trained before it describe the erased past and are never served (<see cref="IgnoresTrainedRow"/>).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? ErasedAt { get; set; }

    /// <summary>Embedded mode's cut of the last erasure: an event received at or before it belongs to the erased past.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? ErasedThrough { get; set; }

    /// <summary>The app withdrew consent to personalization: no profile is built, recommendations are popularity.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool PersonalizationWithheld { get; set; }

    /// <summary>
    /// Margin for clocks of different silos: a model whose training started this soon after an erasure may still have
    /// read the erased events, so its row of the user is ignored too (until the next training).
    /// </summary>
    public static readonly TimeSpan ErasureClockMargin = TimeSpan.FromMinutes(5);

    /// <summary>Whether a model trained at <paramref name="trainedAt"/> may hold the erased past of this user.</summary>
    public bool IgnoresTrainedRow(DateTimeOffset trainedAt) =>
        PersonalizationWithheld || (ErasedAt is { } at && trainedAt <= at + ErasureClockMargin);

    /// <summary>An event received at or before the embedded erasure cut (it was in flight during the erasure).</summary>
    public bool IsErasedPast(DateTimeOffset receivedAt) => ErasedThrough is { } cut && receivedAt <= cut;

    /// <summary>
    /// Forgets everything about the user and keeps only the tombstone: when, and the cuts that tell the erased past
    /// from events that arrive later (log position in cluster mode, receipt time embedded). With
    /// <paramref name="keepServing"/> the recent responses and event-id dedupe stay (consent withdrawal: outcomes of
    /// what was served are still counted); otherwise they go too. Returns what was removed.
    /// </summary>
    public UserStateErasure Erase(DateTimeOffset at, DateTimeOffset? receivedThrough, LogPosition? watermark, bool keepServing = false)
    {
        var removed = new UserStateErasure(
            Profile.TotalEvents,
            keepServing ? 0 : Recommendations.Count,
            Transitions.Count,
            Attributes?.Count ?? 0);
        Profile = new UserProfile();
        CohortId = null;
        CohortSince = null;
        SegmentationVersion = 0;
        Transitions = [];
        Attributes = null;
        if (!keepServing)
        {
            Seen = new EventDeduplicator();
            DuplicatesIgnored = 0;
            Recommendations.Clear();
        }

        if (watermark is { } w && w > (LastApplied ?? default))
        {
            LastApplied = w;
        }

        if (receivedThrough is { } cut && (ErasedThrough is null || cut > ErasedThrough))
        {
            ErasedThrough = cut;
        }

        ErasedAt = at;
        return removed;
    }

    /// <summary>Whether the event at <paramref name="position"/> was applied already (a redelivery).</summary>
    public bool IsApplied(LogPosition position) => position <= (LastApplied ?? default);

    /// <summary>Counts an event that was not applied because it was a replay.</summary>
    public void IgnoreDuplicate() => DuplicatesIgnored++;

    /// <summary>
    /// Remembers <paramref name="eventId"/> (received at <paramref name="receivedAt"/>); false, and counted as a
    /// duplicate, when the same id was received within the deduplication window.
    /// </summary>
    public bool Accept(string eventId, DateTimeOffset receivedAt, UserStateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Seen.TryAdd(eventId, receivedAt, options.DeduplicationWindow))
        {
            return true;
        }

        DuplicatesIgnored++;
        return false;
    }

    /// <summary>
    /// Applies an accepted event to the profile and attributes it to a recent response (recording its outcomes).
    /// </summary>
    public Attribution Apply(
        in Interaction interaction,
        ItemInfo? item,
        DateTimeOffset receivedAt,
        FeedbackReference reference,
        UserStateOptions options,
        IOutcomeRecorder outcomes)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!PersonalizationWithheld)
        {
            Profile.Apply(interaction, item, options.Profile);
        }

        return RecommendationAttribution.Attribute(Recommendations, interaction, receivedAt, reference, options.AttributionWindow, outcomes);
    }

    /// <summary>
    /// Re-assigns the cohort from <paramref name="features"/> (the profile's features now) under
    /// <paramref name="model"/>; returns the transition when the cohort changed.
    /// </summary>
    public CohortChange? Reassign(SegmentationModel model, ReadOnlySpan<float> features, DateTimeOffset now, UserStateOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var cohort = model.Assign(features);
        CohortChange? change = null;
        if (cohort != CohortId)
        {
            change = new CohortChange(CohortId, cohort, now, model.Version);
            var transitions = Transitions as List<CohortChange> ?? [.. Transitions];
            transitions.Add(change);
            if (transitions.Count > options.MaxTransitions)
            {
                transitions.RemoveAt(0);
            }

            Transitions = transitions;
            CohortId = cohort;
            CohortSince = now;
        }

        SegmentationVersion = model.Version;
        return change;
    }

    /// <summary>A user with history whose assignment predates segmentation <paramref name="version"/>.</summary>
    public bool NeedsReassignment(long version) => Profile.TotalEvents > 0 && version != SegmentationVersion;

    /// <summary>Replaces the attributes (an empty set clears them).</summary>
    public void SetAttributes(IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        Attributes = attributes.Count == 0 ? null : new Dictionary<string, string>(attributes, StringComparer.Ordinal);
    }

    /// <summary>
    /// Remembers a response of <paramref name="count"/> items (count ≥ 1) as the most recent and returns its entry
    /// for the caller to fill with <see cref="ServedRecommendation.SetSlot"/>. Responses older than the attribution
    /// window are dropped, and the oldest goes when the list is full; the entry that goes is reused.
    /// </summary>
    public ServedRecommendation Remember(Guid id, DateTimeOffset servedAt, int? cohortId, long modelVersion, ServedStrategy strategy, int count, UserStateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var at = servedAt.ToUnixTimeMilliseconds();
        var cutoff = at - (long)options.AttributionWindow.TotalMilliseconds;
        return Recommendations.Add(id, at, cohortId, modelVersion, strategy, count, Math.Max(1, options.RecentRecommendations), cutoff);
    }
}

/// <summary>What <see cref="UserState.Erase"/> removed: events the profile counted, responses, cohort moves, attributes.</summary>
public sealed record UserStateErasure(long ProfileEvents, int ServedRecommendations, int CohortTransitions, int Attributes);
