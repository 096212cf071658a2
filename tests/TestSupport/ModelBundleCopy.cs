using Cohortly.Modeling.Training;

namespace Cohortly.TestSupport;

/// <summary>
/// A copy of a trained bundle with some members replaced. <see cref="ModelBundle"/> is a class with init-only members,
/// so a test that needs one changed member must construct a new one; doing it here, with every member, keeps a member
/// added to the bundle from being dropped silently by a test's own hand-written copy.
/// </summary>
public static class ModelBundleCopy
{
    public static ModelBundle With(
        ModelBundle b,
        IReadOnlyDictionary<int, ServingPolicy>? policies = null,
        ServingPolicy? defaultPolicy = null,
        TrainingSummary? summary = null,
        RankerModel? ranker = null,
        PurchaseModelReport? purchase = null,
        Modeling.Repeats.RepeatModel? repeats = null,
        TuningReport? tuning = null) => new()
        {
            Version = b.Version,
            TrainedAt = b.TrainedAt,
            ReferenceTime = b.ReferenceTime,
            Segmentation = b.Segmentation,
            SegmentationVersion = b.SegmentationVersion,
            Promotion = b.Promotion,
            ItemIds = b.ItemIds,
            Items = b.Items,
            UserIds = b.UserIds,
            UserItems = b.UserItems,
            UserCohortIds = b.UserCohortIds,
            Scorer = b.Scorer,
            GroupCohortIds = b.GroupCohortIds,
            Neighbors = b.Neighbors,
            Factors = b.Factors,
            Popularity = b.Popularity,
            Content = b.Content,
            Context = b.Context,
            Provisional = b.Provisional,
            Cohorts = b.Cohorts,
            Policies = policies ?? b.Policies,
            DefaultPolicy = defaultPolicy ?? b.DefaultPolicy,
            Summary = summary ?? b.Summary,
            Ranker = ranker ?? b.Ranker,
            Purchase = purchase ?? b.Purchase,
            Repeats = repeats ?? b.Repeats,
            Tuning = tuning ?? b.Tuning,
        };
}
