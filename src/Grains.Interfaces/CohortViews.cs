using Cohortly.Modeling.Segmentation;

namespace Cohortly.Contracts;

/// <summary>A sampled user on the cohort map (first two principal components of the standardized features).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortMapPointView")]
public sealed record CohortMapPointView([property: Id(0)] string UserId, [property: Id(1)] int CohortId, [property: Id(2)] float X, [property: Id(3)] float Y);

/// <summary>A cohort's centroid on the map, with its users in the sample.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortMapCentroidView")]
public sealed record CohortMapCentroidView(
    [property: Id(0)] int CohortId,
    [property: Id(1)] string Label,
    [property: Id(2)] float X,
    [property: Id(3)] float Y,
    [property: Id(4)] int SampledUsers);

/// <summary>The wire form of <see cref="CohortMapResult"/>.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortMapView")]
public sealed record CohortMapView(
    [property: Id(0)] long SegmentationVersion,
    [property: Id(1)] int SampleSize,
    [property: Id(2)] IReadOnlyList<CohortMapPointView> Points,
    [property: Id(3)] IReadOnlyList<CohortMapCentroidView> Centroids,
    [property: Id(4)] IReadOnlyList<double> ExplainedVariance)
{
    public static CohortMapView From(CohortMapResult map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var points = new CohortMapPointView[map.Points.Count];
        for (var i = 0; i < points.Length; i++)
        {
            var p = map.Points[i];
            points[i] = new CohortMapPointView(p.UserId, p.CohortId, p.X, p.Y);
        }

        return new CohortMapView(
            map.SegmentationVersion,
            map.SampleSize,
            points,
            [.. map.Centroids.Select(c => new CohortMapCentroidView(c.CohortId, c.Label, c.X, c.Y, c.SampledUsers))],
            map.ExplainedVariance);
    }
}

/// <summary>The wire form of <see cref="CohortTrait"/>.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortTraitView")]
public sealed record CohortTraitView(
    [property: Id(0)] string Name,
    [property: Id(1)] double Standardized,
    [property: Id(2)] double Value,
    [property: Id(3)] double Population,
    [property: Id(4)] string Unit,
    [property: Id(5)] string Explanation);

/// <summary>A cohort's traits in one segmentation version.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortTraitsView")]
public sealed record CohortTraitsView([property: Id(0)] int CohortId, [property: Id(1)] long SegmentationVersion, [property: Id(2)] IReadOnlyList<CohortTraitView> Traits);

[GenerateSerializer, Immutable, Alias("cohortly.CentroidDistanceView")]
public sealed record CentroidDistanceView([property: Id(0)] int CohortId, [property: Id(1)] string Label, [property: Id(2)] double Distance);

[GenerateSerializer, Immutable, Alias("cohortly.FeatureGapView")]
public sealed record FeatureGapView([property: Id(0)] string Name, [property: Id(1)] double User, [property: Id(2)] double Centroid);

/// <summary>The wire form of <see cref="CohortFit"/>.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortFitView")]
public sealed record CohortFitView(
    [property: Id(0)] long SegmentationVersion,
    [property: Id(1)] int NearestCohortId,
    [property: Id(2)] IReadOnlyList<CentroidDistanceView> Distances,
    [property: Id(3)] IReadOnlyList<FeatureGapView> Features)
{
    public static CohortFitView From(CohortFit fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        return new CohortFitView(
            fit.SegmentationVersion,
            fit.NearestCohortId,
            [.. fit.Distances.Select(d => new CentroidDistanceView(d.CohortId, d.Label, d.Distance))],
            [.. fit.Features.Select(f => new FeatureGapView(f.Name, f.User, f.Centroid))]);
    }
}
