using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation;

/// <summary>Which kind of run produced a segmentation version.</summary>
public enum SegmentationRunKind
{
    /// <summary>A re-clustering of the silos' live feature samples; the active model is unchanged.</summary>
    SegmentationOnly = 1,

    /// <summary>A full training run; the model of the same version was trained on this segmentation.</summary>
    Training = 2,

    /// <summary>
    /// An earlier model's segmentation republished under a new version number when that model is activated again
    /// (rollback or a late promotion), so the cohorts served are the ones the model has weights for.
    /// </summary>
    Restored = 3,
}

/// <summary>What a new version is matched against to keep cohort ids stable.</summary>
/// <param name="Previous">The current version: transitions are counted against it, and its ids are the ones kept.</param>
/// <param name="NextCohortId">First cohort id never issued so far (0 = derive from the ids in sight).</param>
public sealed record SegmentationBasis(SegmentationModel Previous, int NextCohortId = 0)
{
    /// <summary>
    /// The segmentation the active model was trained with, when a segmentation-only run follows it. A kept id is
    /// matched against <em>this</em> centroid (not the previous version's), so repeated re-clusterings cannot walk a
    /// cohort away from the users its adapted weights were fitted on one small step at a time.
    /// </summary>
    public SegmentationModel? Anchor { get; init; }
}

/// <summary>How many sampled users were in cohort <paramref name="From"/> under the previous version and are in <paramref name="To"/> now.</summary>
public sealed record CohortMove(int From, int To, int Users);

/// <summary>
/// One segmentation version with everything published about it: the model (scaler, centroids, stable ids, labels),
/// the transition table against the previous version over the same sampled users, sampled users per cohort, how far
/// each kept cohort's centroid is from the one it inherited its id from, and which kind of run produced it.
/// </summary>
public sealed record SegmentationVersion(
    SegmentationModel Model,
    long PreviousVersion,
    IReadOnlyList<CohortMove> Transitions,
    IReadOnlyList<int> SampleCounts,
    int SampleSize,
    IReadOnlyList<double?> MatchDistances,
    int NextCohortId,
    SegmentationRunKind Kind)
{
    /// <summary>For a <see cref="SegmentationRunKind.Restored"/> version: the model version whose segmentation it republishes.</summary>
    public long RestoredModelVersion { get; init; }

    /// <summary>
    /// Each feature's distribution in the users this version was built on (quantile bins and counts): the reference the
    /// drift monitor compares the live sample with (PSI). Empty when the version counted no users.
    /// </summary>
    public IReadOnlyList<Drift.FeatureBins> FeatureReference { get; init; } = [];

    /// <summary>
    /// When set, <see cref="FeatureReference"/> describes the active population (<see cref="Drift.ActivePopulation"/>)
    /// within this window, and the drift monitor applies the same rule to the live sample before comparing. Null: the
    /// reference is the rows the version was built on, as recorded (a version built on the live sample itself).
    /// </summary>
    public TimeSpan? FeatureReferenceWindow { get; init; }

    /// <summary>
    /// The active population's users per cohort (same order as the cohort ids; the rows <see cref="FeatureReference"/>
    /// was built on when <see cref="FeatureReferenceWindow"/> is set): the cohort-share check's reference, compared with
    /// the live sample's rows selected by the same rule. Null: not recorded (a version built on the live sample, or
    /// stored before it was), and the check compares <see cref="SampleCounts"/> with the whole live sample. Empty: too
    /// few active users, and the check is skipped like the feature PSI.
    /// </summary>
    public IReadOnlyList<int>? ActiveCohortCounts { get; init; }

    /// <summary>
    /// How good the served partition of the rows it was built on is (silhouette, Davies–Bouldin, inertia, sizes,
    /// noise). A restored version is measured on the live sample it was counted on (null when that sample had no rows).
    /// </summary>
    public SegmentationQuality? Quality { get; init; }

    /// <summary>The model version trained on this segmentation (restored: the one it was restored for); 0 for a segmentation-only version.</summary>
    public long ModelVersion => Kind switch
    {
        SegmentationRunKind.Training => Model.Version,
        SegmentationRunKind.Restored => RestoredModelVersion,
        _ => 0,
    };
}

/// <summary>
/// The one builder of segmentation versions, for a training run (features of the log's users) and for a
/// segmentation-only run (the silos' samples of live users) alike: fit, keep ids stable (minimum-total-distance
/// matching, gated at <see cref="SegmentationOptions.MaxMatchDistance"/>), label, then count the sampled users per
/// cohort and where they were under the previous version.
/// </summary>
public static class SegmentationVersions
{
    public static SegmentationVersion Build(
        FeatureMatrix raw,
        IReadOnlyList<string> featureNames,
        SegmentationBasis? basis,
        long version,
        SegmentationOptions options,
        SegmentationRunKind kind,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (basis is not null && version <= basis.Previous.Version)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, $"A new version must be newer than the previous one ({basis.Previous.Version}).");
        }

        var (model, matching, quality) = SegmentationBuilder.Fit(raw, featureNames, basis, version, options, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var previous = basis?.Previous;
        var comparable = previous is not null && previous.Dimensions == model.Dimensions && previous.Centroids.Count > 0;
        var counts = new int[model.CohortIds.Count];
        var before = comparable ? new int[raw.Rows] : [];
        var after = comparable ? new int[raw.Rows] : [];
        for (var r = 0; r < raw.Rows; r++)
        {
            var row = raw.ReadRow(r);
            var index = model.NearestIndex(row, out _);
            counts[index]++;
            if (comparable)
            {
                before[r] = previous!.Assign(row);
                after[r] = model.CohortIds[index];
            }
        }

        var distances = new double?[matching.Matches.Length];
        foreach (var match in matching.Matches)
        {
            distances[match.NewIndex] = match.Distance;
        }

        return new SegmentationVersion(
            model,
            previous?.Version ?? 0,
            comparable ? Moves(before, after) : [],
            counts,
            raw.Rows,
            distances,
            matching.NextFreshId,
            kind)
        {
            FeatureReference = Drift.FeatureReference.From(raw, featureNames),
            Quality = quality,
        };
    }

    /// <summary>
    /// Republishes <paramref name="source"/> (the segmentation model version <paramref name="modelVersion"/> was trained
    /// with) as version <paramref name="version"/>: the same scaler, centroids, cohort ids and labels, with the sampled
    /// users (<paramref name="sample"/>, possibly empty) counted per cohort and their moves from
    /// <paramref name="current"/>. Nothing is fitted, so the restored cohorts are exactly those the model has weights for.
    /// </summary>
    public static SegmentationVersion Restore(SegmentationModel source, SegmentationModel? current, int nextCohortId, long version, long modelVersion, FeatureMatrix sample, int silhouetteSample = 1000, int seed = 17)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sample);
        if (current is not null && version <= current.Version)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, $"A restored version must be newer than the current one ({current.Version}).");
        }

        var model = source with { Version = version };
        var usable = sample.Columns == model.Dimensions && model.Centroids.Count > 0;
        var comparable = usable && current is not null && current.Dimensions == model.Dimensions && current.Centroids.Count > 0;
        var rows = usable ? sample.Rows : 0;
        var counts = new int[model.CohortIds.Count];
        var before = comparable ? new int[rows] : [];
        var after = comparable ? new int[rows] : [];
        for (var r = 0; r < rows; r++)
        {
            var row = sample.ReadRow(r);
            var index = model.NearestIndex(row, out _);
            counts[index]++;
            if (comparable)
            {
                before[r] = current!.Assign(row);
                after[r] = model.CohortIds[index];
            }
        }

        // Ids are never reissued: the next fresh id stays beyond every id either side has used.
        var next = nextCohortId;
        foreach (var id in model.CohortIds)
        {
            next = Math.Max(next, id + 1);
        }

        return new SegmentationVersion(
            model,
            current?.Version ?? 0,
            comparable ? Moves(before, after) : [],
            counts,
            rows,
            new double?[model.CohortIds.Count],
            next,
            SegmentationRunKind.Restored)
        {
            RestoredModelVersion = modelVersion,
            FeatureReference = usable ? Drift.FeatureReference.From(sample, model.FeatureNames) : [],
            Quality = rows == 0 ? null : SegmentationQuality.Measure(model.Scaler.Transform(sample), model.Centroids, silhouetteSample, seed, algorithm: null, noiseShare: null),
        };
    }

    private static List<CohortMove> Moves(int[] before, int[] after)
    {
        var matrix = ClusterTransitions.Compute(before, after);
        var moves = new List<CohortMove>();
        foreach (var from in matrix.FromLabels)
        {
            foreach (var to in matrix.ToLabels)
            {
                if (matrix.Count(from, to) is var n and > 0)
                {
                    moves.Add(new CohortMove(from, to, (int)n));
                }
            }
        }

        return moves;
    }
}
