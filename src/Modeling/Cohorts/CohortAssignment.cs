using Cohortly.Modeling.Data;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Cohorts;

public sealed record CohortAssignmentOptions
{
    /// <summary>K-Means settings; <c>K = 0</c> chooses k by silhouette in [MinK, MaxK].</summary>
    public SegmentationOptions Segmentation { get; init; } = new();

    public ProfileOptions Profile { get; init; } = ProfileOptions.Default;
}

/// <summary>
/// Users of a data set mapped to cohorts learned from their training interactions only: profiles are replayed with the
/// grains' code (<see cref="ProfileReplay"/>), "now" is the last training timestamp, and the segmentation is the one
/// the SegmentationGrain would publish. <see cref="UserGroups"/> holds dense group indices (0..Count-1, -1 for users
/// without training events) usable as <c>TrainingData</c> / evaluator groups; <see cref="CohortIds"/> maps a group
/// index back to the segmentation's stable cohort id.
/// </summary>
public sealed record CohortAssignment(
    SegmentationModel Segmentation,
    int[] UserGroups,
    IReadOnlyList<int> CohortIds,
    IReadOnlyList<string> Labels,
    int[] GroupSizes,
    long NowMs,
    bool KChosenBySilhouette)
{
    public int Count => CohortIds.Count;

    public static CohortAssignment FromTraining(InteractionDataset train, CohortAssignmentOptions? options = null, SegmentationModel? previous = null, long version = 1)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new CohortAssignmentOptions();
        var profiles = ProfileReplay.Build(train, options.Profile);
        var now = ProfileReplay.LastTimestampMs(train);
        var all = ProfileReplay.Features(profiles, now);

        // Users without training events would form an all-zero blob; they are left out of the fit and unassigned.
        var active = new List<int>(profiles.Length);
        for (var u = 0; u < profiles.Length; u++)
        {
            if (profiles[u].TotalEvents > 0)
            {
                active.Add(u);
            }
        }

        if (active.Count < 2)
        {
            throw new ArgumentException("need at least two users with training interactions", nameof(train));
        }

        var fitted = new FeatureMatrix(active.Count, all.Columns);
        for (var x = 0; x < active.Count; x++)
        {
            all.ReadRow(active[x]).CopyTo(fitted.Row(x));
        }

        var segmentation = SegmentationBuilder.Build(fitted, ProfileFeatures.Names, previous, version, options.Segmentation);
        var groups = new int[profiles.Length];
        Array.Fill(groups, -1);
        var sizes = new int[segmentation.Centroids.Count];
        foreach (var u in active)
        {
            var g = segmentation.NearestIndex(all.ReadRow(u), out _);
            groups[u] = g;
            sizes[g]++;
        }

        return new CohortAssignment(segmentation, groups, segmentation.CohortIds, segmentation.Labels, sizes, now, options.Segmentation.K <= 0);
    }
}
