using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Grains.Segmentation;

/// <summary>Read views of the kept versions for the dashboard; the computations are Modeling's.</summary>
public sealed partial class SegmentationGrain
{
    public async Task<CohortMapView?> GetMap(long version, int maxPoints)
    {
        var info = await Find(version);
        if (info is null)
        {
            return null;
        }

        var (ids, rows, _) = CollectSample();
        // Seeded by the version so a version's picture is the same on every refresh while the sample stays the same.
        var map = CohortMap.Build(SegmentationCache.ToModel(info), ids, rows, maxPoints, new Random(unchecked((int)info.Version)));
        return CohortMapView.From(map);
    }

    public Task<CohortTraitsView?> DescribeCohort(int cohortId)
    {
        if (Current is not { } info || CohortTraits.Describe(SegmentationCache.ToModel(info), cohortId) is not { } traits)
        {
            return Task.FromResult<CohortTraitsView?>(null);
        }

        return Task.FromResult<CohortTraitsView?>(new CohortTraitsView(
            cohortId,
            info.Version,
            [.. traits.Select(t => new CohortTraitView(t.Name, t.Standardized, t.Value, t.Population, t.Unit, t.Explanation))]));
    }

    public Task<CohortFitView?> Fit(IReadOnlyDictionary<string, float> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (Current is not { } info || CohortTraits.Fit(SegmentationCache.ToModel(info), features) is not { } fit)
        {
            return Task.FromResult<CohortFitView?>(null);
        }

        return Task.FromResult<CohortFitView?>(CohortFitView.From(fit));
    }
}
