using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Grains.Services;

/// <summary>Per-silo copy of the current segmentation; user grains assign cohorts against it locally.</summary>
public sealed class SegmentationCache
{
    private volatile Loaded? _loaded;

    public SegmentationModel? Current => _loaded?.Model;

    /// <summary>
    /// The model version trained on (or restored with) <see cref="Current"/>, 0 for a segmentation-only version: users
    /// are caught up with a training's version once the silo serves that model (<c>ModelClock.CanAssign</c>).
    /// </summary>
    public long ModelVersion => _loaded?.ModelVersion ?? 0;

    public async Task RefreshAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var grain = grains.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var version = await grain.GetVersion().WaitAsync(cancellationToken);
        if (version == 0 || version == Current?.Version)
        {
            return;
        }

        if (await grain.GetCurrent().WaitAsync(cancellationToken) is { } info)
        {
            Load(info);
        }
    }

    public void Load(SegmentationVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (Current is { } existing && existing.Version >= info.Version)
        {
            return;
        }

        // One reference for both, so a reader never pairs a version with another version's model.
        _loaded = new Loaded(ToModel(info), info.ModelVersion);
    }

    public static SegmentationModel ToModel(SegmentationVersionInfo info) =>
        new(info.Version, info.FeatureNames, new FeatureScaler(info.Means, info.Scales), info.Centroids, info.CohortIds, info.Labels);

    public string? LabelOf(int cohortId) => Current?.LabelOf(cohortId);

    private sealed record Loaded(SegmentationModel Model, long ModelVersion);
}
