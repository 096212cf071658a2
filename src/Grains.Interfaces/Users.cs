namespace Cohortly.Contracts;

[GenerateSerializer, Immutable, Alias("cohortly.CohortTransition")]
public sealed record CohortTransition(
    [property: Id(0)] int? From,
    [property: Id(1)] int To,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] long SegmentationVersion);

[GenerateSerializer, Immutable, Alias("cohortly.CohortMembership")]
public sealed record CohortMembership(
    [property: Id(0)] int CohortId,
    [property: Id(1)] string Label,
    [property: Id(2)] long SegmentationVersion,
    [property: Id(3)] DateTimeOffset Since);

[GenerateSerializer, Immutable, Alias("cohortly.RecentItemView")]
public sealed record RecentItemView(
    [property: Id(0)] string ItemId,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset At);

/// <summary>The read model of a user's live profile.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.UserProfileView")]
public sealed record UserProfileView
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required IReadOnlyDictionary<string, long> Counts { get; init; }
    [Id(2)] public DateTimeOffset? FirstSeen { get; init; }
    [Id(3)] public DateTimeOffset? LastSeen { get; init; }
    [Id(4)] public int ActiveDays { get; init; }
    [Id(5)] public double EventsPerActiveDay { get; init; }
    [Id(6)] public double Monetary { get; init; }
    [Id(7)] public int Sessions { get; init; }
    [Id(8)] public double AverageSessionMinutes { get; init; }
    [Id(9)] public required IReadOnlyDictionary<string, double> CategoryAffinity { get; init; }
    [Id(10)] public required IReadOnlyDictionary<string, int> Devices { get; init; }
    [Id(11)] public required IReadOnlyList<int> HourOfDay { get; init; }
    [Id(12)] public required IReadOnlyList<RecentItemView> RecentItems { get; init; }
    [Id(13)] public CohortMembership? Cohort { get; init; }
    [Id(14)] public required IReadOnlyList<CohortTransition> Transitions { get; init; }
    [Id(15)] public required IReadOnlyDictionary<string, float> Features { get; init; }
    [Id(16)] public long DuplicatesIgnored { get; init; }
    /// <summary>Attributes set with PUT /v1/users/{id}/attributes (age band, country, signup channel, ...).</summary>
    [Id(17)] public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
}

/// <summary>A user's attributes and the cohort they imply while the user has no history of their own.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.UserAttributesView")]
public sealed record UserAttributesView(
    [property: Id(0)] string UserId,
    [property: Id(1)] IReadOnlyDictionary<string, string> Attributes,
    [property: Id(2)] int? ProvisionalCohortId,
    [property: Id(3)] int? CohortId);

/// <summary>
/// What the caller asks for: how many items, optional category filters and device context, whether to explain
/// scores, and whether the cohort's exploration policy may spend slots (off for offline parity checks).
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.RecommendationRequest")]
public sealed record RecommendationRequest(
    [property: Id(0)] int Count,
    [property: Id(1)] bool Explain = false,
    [property: Id(2)] bool Explore = true,
    [property: Id(3)] string? Device = null,
    [property: Id(4)] IReadOnlyList<string>? IncludeCategories = null,
    [property: Id(5)] IReadOnlyList<string>? ExcludeCategories = null)
{
    /// <summary>The request's declared context keys other than the device (country, referrer, page type), normalized at the edge.</summary>
    [Id(6)] public IReadOnlyDictionary<string, string>? Context { get; init; }

    /// <summary>At most this many leading slots for due repeat purchases ("buy again"); null takes Cohortly:Repeats:Slots.</summary>
    [Id(7)] public int? BuyAgainSlots { get; init; }
}

[GenerateSerializer, Immutable, Alias("cohortly.ScoreContribution")]
public sealed record ScoreContribution([property: Id(0)] string Feature, [property: Id(1)] double Value);

[GenerateSerializer, Immutable, Alias("cohortly.RecommendedItem")]
public sealed record RecommendedItem(
    [property: Id(0)] string ItemId,
    [property: Id(1)] double Score,
    [property: Id(2)] string Reason,
    [property: Id(3)] bool Explored = false,
    [property: Id(4)] IReadOnlyList<ScoreContribution>? Contributions = null)
{
    /// <summary>Ids of the merchandising rules that placed or re-scored this item (pin first), null when none; the first is what its outcomes count under.</summary>
    [Id(5)] public IReadOnlyList<string>? Rules { get; init; }

    /// <summary><c>buy-again</c> for a due repeat purchase (its outcomes count under the buy-again strategy); null for the model's own items.</summary>
    [Id(6)] public string? ReasonKind { get; init; }
}

[GenerateSerializer, Immutable, Alias("cohortly.RecommendationResponse")]
public sealed record RecommendationResponse(
    [property: Id(0)] string RecommendationId,
    [property: Id(1)] string UserId,
    [property: Id(2)] int? CohortId,
    [property: Id(3)] string? CohortLabel,
    [property: Id(4)] string Strategy,
    [property: Id(5)] IReadOnlyList<RecommendedItem> Items,
    [property: Id(6)] long? ModelVersion = null,
    [property: Id(7)] bool Fallback = false,
    [property: Id(8)] string? FallbackReason = null)
{
    /// <summary>True when <see cref="CohortId"/> was inferred from attributes and context (the user has no history yet).</summary>
    [Id(9)] public bool ProvisionalCohort { get; init; }

    /// <summary>The experiment that served this response (null: none); its outcomes are counted under it.</summary>
    [Id(10)] public string? Experiment { get; init; }

    /// <summary>The experiment's variant that served this response (null: none).</summary>
    [Id(11)] public string? Variant { get; init; }

    /// <summary>True when the user withheld consent to personalization: the list is popularity, not about them.</summary>
    [Id(12)] public bool NonPersonalized { get; init; }

    /// <summary>True when the cohort's learned ranker (LambdaMART) ordered the candidates; the strategy still names the blend weights that produced them.</summary>
    [Id(20)] public bool Ranker { get; init; }
}

/// <summary>Items similar to one item, from the active model's item neighbours.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.SimilarItemsResponse")]
public sealed record SimilarItemsResponse(
    [property: Id(0)] string ItemId,
    [property: Id(1)] long ModelVersion,
    [property: Id(2)] IReadOnlyList<RecommendedItem> Items);
