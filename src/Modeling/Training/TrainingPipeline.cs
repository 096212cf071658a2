using Cohortly.Modeling.Events;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>One user's attributes as recorded in the training log (latest wins).</summary>
public sealed record UserAttributes(string UserId, IReadOnlyDictionary<string, string> Attributes);

/// <summary>Progress of a run: stage name, overall fraction 0..1.</summary>
public readonly record struct TrainingProgress(string Stage, double Fraction);

/// <summary>What a run reads: the log within retention, the catalog, attributes, and the previous segmentation (stable ids).</summary>
public sealed record TrainingInput(
    IReadOnlyList<Interaction> Events,
    IReadOnlyList<ItemInfo> Catalog,
    IReadOnlyList<UserAttributes> Attributes,
    SegmentationModel? PreviousSegmentation,
    long Version,
    DateTimeOffset Now);

/// <summary>
/// The end-to-end training run: log → user features → segmentation → global backbone → per-cohort adaptation and
/// selection on holdout → per-cohort metrics → <see cref="ModelBundle"/>. Pure CPU work; the caller decides the thread.
/// </summary>
public static class TrainingPipeline
{
    public static ModelBundle Run(TrainingInput input, TrainingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
