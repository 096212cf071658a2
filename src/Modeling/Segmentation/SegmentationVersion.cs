using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Segmentation;

/// <summary>Which kind of run produced a segmentation version.</summary>
public enum SegmentationRunKind
{
    /// <summary>A re-clustering of the silos' live feature samples; the active model is unchanged.</summary>
    SegmentationOnly = 1,

    /// <summary>A full training run; the model of the same version was trained on this segmentation.</summary>
    Training = 2,
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
    /// <summary>The model version trained on this segmentation; 0 for a segmentation-only version.</summary>
    public long ModelVersion => Kind == SegmentationRunKind.Training ? Model.Version : 0;
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

        var (model, matching) = SegmentationBuilder.Fit(raw, featureNames, basis, version, options);
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
            kind);
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
