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

    /// <summary>
    /// Set while a drift detection holds the cohort on the global weights (since when); silo caches make the serving
    /// pipeline score its users with the global blend. The next activated model version clears it.
    /// </summary>
    [Id(12)] public DateTimeOffset? GlobalHoldSince { get; init; }
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

    /// <summary>Which kind of run produced this version.</summary>
    [Id(12)] public SegmentationProducer Producer { get; init; }

    /// <summary>The model version trained on this segmentation; 0 for a segmentation-only version.</summary>
    [Id(13)] public long ModelVersion { get; init; }

    /// <summary>The training run (status run id) or segmentation-only run that produced it.</summary>
    [Id(14)] public string? RunId { get; init; }

    /// <summary>The version <see cref="Transitions"/> are counted against (0 for the first).</summary>
    [Id(15)] public long PreviousVersion { get; init; }

    /// <summary>
    /// Per cohort (same order as <see cref="CohortIds"/>): distance in standardized units to the centroid its id was
    /// kept from, or null for a cohort born in this version.
    /// </summary>
    [Id(16)] public IReadOnlyList<double?> MatchDistances { get; init; } = [];

    /// <summary>First cohort id no version has issued yet; the next version's fresh ids start here.</summary>
    [Id(17)] public int NextCohortId { get; init; }

    /// <summary>
    /// Each feature's distribution (quantile bins, counts) in the users this version was built on: the drift monitor's
    /// reference for the live sample's PSI. Empty in versions stored before it was recorded.
    /// </summary>
    [Id(18)] public IReadOnlyList<Cohortly.Modeling.Drift.FeatureBins> FeatureReference { get; init; } = [];

    /// <summary>How good the version is (null: stored before quality was recorded).</summary>
    [Id(19)] public SegmentationQualityInfo? Quality { get; init; }

    /// <summary>
    /// The activity window <see cref="FeatureReference"/> was built with (the active population, <c>ActivePopulation</c>);
    /// the drift monitor selects the live sample by the same rule. Null: the reference is the rows the version was built on.
    /// </summary>
    [Id(20)] public TimeSpan? FeatureReferenceWindow { get; init; }

    /// <summary>
    /// The active population's users per cohort (same order as <see cref="CohortIds"/>): the cohort-share check's
    /// reference, against the live rows selected by the <see cref="FeatureReferenceWindow"/> rule. Null (versions built on
    /// the live sample, and versions stored before it was recorded): the check compares <see cref="SampleCounts"/> with
    /// the whole live sample, as before. Empty: too few active users at training, the check is skipped.
    /// </summary>
    [Id(21)] public IReadOnlyList<int>? ActiveCohortCounts { get; init; }

    /// <summary>The wire form of a version built by <see cref="Modeling.Segmentation.SegmentationVersions.Build"/> (the only builder).</summary>
    public static SegmentationVersionInfo From(Modeling.Segmentation.SegmentationVersion version, DateTimeOffset createdAt, double trainSeconds, string? runId)
    {
        ArgumentNullException.ThrowIfNull(version);
        var model = version.Model;
        var transitions = new List<TransitionCount>(version.Transitions.Count);
        foreach (var move in version.Transitions)
        {
            transitions.Add(new TransitionCount(move.From, move.To, move.Users));
        }

        return new SegmentationVersionInfo
        {
            Version = model.Version,
            CreatedAt = createdAt,
            FeatureNames = model.FeatureNames,
            Means = model.Scaler.Means,
            Scales = model.Scaler.Scales,
            Centroids = model.Centroids,
            CohortIds = model.CohortIds,
            Labels = model.Labels,
            SampleSize = version.SampleSize,
            TrainSeconds = trainSeconds,
            Transitions = transitions,
            SampleCounts = version.SampleCounts,
            Producer = version.Kind switch
            {
                Modeling.Segmentation.SegmentationRunKind.Training => SegmentationProducer.Training,
                Modeling.Segmentation.SegmentationRunKind.Restored => SegmentationProducer.Restored,
                _ => SegmentationProducer.SegmentationOnly,
            },
            ModelVersion = version.ModelVersion,
            RunId = runId,
            PreviousVersion = version.PreviousVersion,
            MatchDistances = version.MatchDistances,
            NextCohortId = version.NextCohortId,
            FeatureReference = version.FeatureReference,
            FeatureReferenceWindow = version.FeatureReferenceWindow,
            ActiveCohortCounts = version.ActiveCohortCounts,
            Quality = SegmentationQualityInfo.From(version.Quality),
        };
    }
}

/// <summary>Which kind of run produced a segmentation version (Unknown: stored before this was recorded).</summary>
[GenerateSerializer, Alias("cohortly.SegmentationProducer")]
public enum SegmentationProducer
{
    Unknown = 0,
    SegmentationOnly = 1,
    Training = 2,

    /// <summary>A model version's segmentation republished when that version was activated again (rollback).</summary>
    Restored = 3,
}

/// <summary>The silos' current feature samples, merged (latest row per user, bounded, seeded subsample).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.SegmentationSample")]
public sealed record SegmentationSample([property: Id(0)] IReadOnlyList<string> UserIds, [property: Id(1)] IReadOnlyList<float[]> Rows)
{
    /// <summary>Each row's user's latest event (unix ms), in the rows' order; empty when a silo did not report them.</summary>
    [Id(2)] public IReadOnlyList<long> LastSeenMs { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("cohortly.TransitionCount")]
public sealed record TransitionCount([property: Id(0)] int From, [property: Id(1)] int To, [property: Id(2)] int Users);

/// <summary>A silo's bounded sample of active users' raw feature vectors.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.FeatureSample")]
public sealed record FeatureSample(
    [property: Id(0)] string SiloId,
    [property: Id(1)] IReadOnlyList<string> UserIds,
    [property: Id(2)] IReadOnlyList<float[]> Rows,
    [property: Id(3)] DateTimeOffset CollectedAt)
{
    /// <summary>
    /// Each row's user's latest event (unix ms), in the rows' order: what the drift monitor selects the active users
    /// by (<c>ActivePopulation</c>). Empty from a silo that does not record it.
    /// </summary>
    [Id(4)] public IReadOnlyList<long> LastSeenMs { get; init; } = [];
}
