using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Grains.Services;

/// <summary>Per-silo copy of the current segmentation; user grains assign cohorts against it locally.</summary>
public sealed class SegmentationCache
{
    private volatile SegmentationModel? _current;

    public SegmentationModel? Current => _current;

    public async Task RefreshAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var grain = grains.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var version = await grain.GetVersion().WaitAsync(cancellationToken);
        if (version == 0 || version == _current?.Version)
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
        if (_current is { } existing && existing.Version >= info.Version)
        {
            return;
        }

        _current = ToModel(info);
    }

    public static SegmentationModel ToModel(SegmentationVersionInfo info) =>
        new(info.Version, info.FeatureNames, new FeatureScaler(info.Means, info.Scales), info.Centroids, info.CohortIds, info.Labels);

    public string? LabelOf(int cohortId) => _current?.LabelOf(cohortId);
}
