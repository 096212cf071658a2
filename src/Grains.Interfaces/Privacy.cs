namespace Cohortly.Contracts;

/// <summary>What <c>DELETE /v1/users/{id}</c> removed; all zero when nothing was held (a repeated erasure).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.UserErasureResult")]
public sealed record UserErasureResult(
    [property: Id(0)] string UserId,
    [property: Id(1)] DateTimeOffset ErasedAt,
    [property: Id(2)] long ProfileEvents,
    [property: Id(3)] int ServedRecommendations,
    [property: Id(4)] int CohortTransitions,
    [property: Id(5)] int Attributes,
    [property: Id(6)] long LogEvents,
    [property: Id(7)] long LogAttributeRecords,
    [property: Id(8)] bool ModelRowIgnored)
{
    /// <summary>Whether anything at all was removed.</summary>
    public bool Removed => ProfileEvents + ServedRecommendations + CohortTransitions + Attributes + LogEvents + LogAttributeRecords > 0 || ModelRowIgnored;
}

/// <summary>One slot of a served response, as the user's state remembers it.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ServedItemExport")]
public sealed record ServedItemExport(
    [property: Id(0)] string ItemId,
    [property: Id(1)] bool Explored,
    [property: Id(2)] bool Clicked,
    [property: Id(3)] bool Carted,
    [property: Id(4)] bool Purchased);

/// <summary>A response kept for attributing later events.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ServedRecommendationExport")]
public sealed record ServedRecommendationExport(
    [property: Id(0)] string RecommendationId,
    [property: Id(1)] DateTimeOffset ServedAt,
    [property: Id(2)] int? CohortId,
    [property: Id(3)] long ModelVersion,
    [property: Id(4)] string Strategy,
    [property: Id(5)] string? Experiment,
    [property: Id(6)] string? Variant,
    [property: Id(7)] IReadOnlyList<ServedItemExport> Items);

/// <summary>Whether the active model has a row for the user (their trained interactions and cohort).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ModelRowExport")]
public sealed record ModelRowExport(
    [property: Id(0)] long ModelVersion,
    [property: Id(1)] bool Present,
    [property: Id(2)] bool Ignored,
    [property: Id(3)] int? TrainedCohortId,
    [property: Id(4)] int TrainedItems);

/// <summary>Everything Cohortly holds about one user (<c>GET /v1/users/{id}/export</c>).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.UserDataExport")]
public sealed record UserDataExport
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required DateTimeOffset ExportedAt { get; init; }
    /// <summary>The live profile (null when it holds no events).</summary>
    [Id(2)] public UserProfileView? Profile { get; init; }
    [Id(3)] public required IReadOnlyDictionary<string, string> Attributes { get; init; }
    [Id(4)] public required IReadOnlyList<CohortTransition> CohortHistory { get; init; }
    [Id(5)] public required IReadOnlyList<ServedRecommendationExport> ServedRecommendations { get; init; }
    /// <summary>The user's events in the interaction log (training's input), oldest first.</summary>
    [Id(6)] public required IReadOnlyList<InteractionEvent> LoggedEvents { get; init; }
    /// <summary>The attributes the interaction log holds for training (null: none).</summary>
    [Id(7)] public IReadOnlyDictionary<string, string>? LoggedAttributes { get; init; }
    /// <summary>The active model's row of the user (null: no model is loaded on the answering silo).</summary>
    [Id(8)] public ModelRowExport? ModelRow { get; init; }
    [Id(9)] public required bool Personalization { get; init; }
    /// <summary>When the user was last erased (null: never).</summary>
    [Id(10)] public DateTimeOffset? ErasedAt { get; init; }
}

/// <summary>The user's consent to personalization after <c>PUT /v1/users/{id}/consent</c>.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.UserConsentView")]
public sealed record UserConsentView(
    [property: Id(0)] string UserId,
    [property: Id(1)] bool Personalization,
    [property: Id(2)] long ProfileEventsRemoved,
    [property: Id(3)] long LogEventsRemoved);
