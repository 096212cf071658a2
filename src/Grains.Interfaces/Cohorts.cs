namespace Cohortly.Contracts;

[GenerateSerializer, Immutable, Alias("cohortly.ItemScore")]
public sealed record ItemScore([property: Id(0)] string ItemId, [property: Id(1)] double Score);

[GenerateSerializer, Immutable, Alias("cohortly.FeatureValue")]
public sealed record FeatureValue([property: Id(0)] string Name, [property: Id(1)] float Value);

/// <summary>What a cohort grain knows, served to caches and the API.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortSnapshot")]
public sealed record CohortSnapshot(
    [property: Id(0)] int CohortId,
    [property: Id(1)] string Label,
    [property: Id(2)] long SegmentationVersion,
    [property: Id(3)] long MemberCount,
    [property: Id(4)] IReadOnlyList<FeatureValue> Centroid,
    [property: Id(5)] IReadOnlyList<ItemScore> TopItems,
    [property: Id(6)] DateTimeOffset UpdatedAt,
    [property: Id(7)] long ModelVersion = 0,
    [property: Id(8)] bool UsesAdaptedModel = false)
{
    /// <summary>Bandit evidence of the cohort's most shown items (exploration policy input).</summary>
    [Id(9)] public IReadOnlyList<ArmStats> Arms { get; init; } = [];

    /// <summary>
    /// The cohort's serving policy in effect (training's proposal or an operator's override); null serves the active
    /// model's default. Silo caches hand it to the serving pipeline.
    /// </summary>
    [Id(10)] public Cohortly.Modeling.Training.ServingPolicy? Policy { get; init; }

    [Id(11)] public PolicySource PolicySource { get; init; }
}

/// <summary>How often an item was recommended to a cohort's members and the reward (clicks, purchases) that followed.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ArmStats")]
public sealed record ArmStats(
    [property: Id(0)] string ItemId,
    [property: Id(1)] long Impressions,
    [property: Id(2)] double Rewards,
    [property: Id(3)] DateTimeOffset FirstSeen);

/// <summary>Pre-aggregated activity of one silo for one cohort since the previous flush.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortDelta")]
public sealed record CohortDelta(
    [property: Id(0)] long MembersJoined,
    [property: Id(1)] long MembersLeft,
    [property: Id(2)] IReadOnlyDictionary<string, double> ItemWeights,
    [property: Id(3)] DateTimeOffset AsOf)
{
    /// <summary>Items recommended to members since the previous flush, with counts.</summary>
    [Id(4)] public IReadOnlyDictionary<string, long> Impressions { get; init; } = new Dictionary<string, long>();

    /// <summary>Reward per recommended item that members then clicked, carted or bought.</summary>
    [Id(5)] public IReadOnlyDictionary<string, double> Rewards { get; init; } = new Dictionary<string, double>();
}

/// <summary>Wire form of one segmentation version.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.SegmentationVersionInfo")]
public sealed record SegmentationVersionInfo
{
    [Id(0)] public required long Version { get; init; }
    [Id(1)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(2)] public required IReadOnlyList<string> FeatureNames { get; init; }
    [Id(3)] public required float[] Means { get; init; }
    [Id(4)] public required float[] Scales { get; init; }
    [Id(5)] public required IReadOnlyList<float[]> Centroids { get; init; }
    [Id(6)] public required IReadOnlyList<int> CohortIds { get; init; }
    [Id(7)] public required IReadOnlyList<string> Labels { get; init; }
    [Id(8)] public required int SampleSize { get; init; }
    [Id(9)] public required double TrainSeconds { get; init; }
    /// <summary>Rows: previous version's cohorts; columns: this version's; counts of sampled users.</summary>
    [Id(10)] public IReadOnlyList<TransitionCount> Transitions { get; init; } = [];
    /// <summary>Sampled users assigned to each cohort (same order as <see cref="CohortIds"/>).</summary>
    [Id(11)] public IReadOnlyList<int> SampleCounts { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("cohortly.TransitionCount")]
public sealed record TransitionCount([property: Id(0)] int From, [property: Id(1)] int To, [property: Id(2)] int Users);

/// <summary>A silo's bounded sample of active users' raw feature vectors.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.FeatureSample")]
public sealed record FeatureSample(
    [property: Id(0)] string SiloId,
    [property: Id(1)] IReadOnlyList<string> UserIds,
    [property: Id(2)] IReadOnlyList<float[]> Rows,
    [property: Id(3)] DateTimeOffset CollectedAt);
