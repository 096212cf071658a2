using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Segmentation;

/// <summary>
/// One trait of a cohort: its centroid's standardized value (σ from the population mean of the sample the version was
/// clustered on) and the same point in natural units, beside the population's.
/// </summary>
public sealed record CohortTrait(string Name, double Standardized, double Value, double Population, string Unit, string Explanation);

/// <summary>How far a user is from one centroid, in standardized units (Euclidean over all features).</summary>
public sealed record CentroidDistance(int CohortId, string Label, double Distance);

/// <summary>A user's standardized feature beside the value of the centroid they are nearest to.</summary>
public sealed record FeatureGap(string Name, double User, double Centroid);

/// <summary>
/// Why a user is in a cohort: distances to every centroid (nearest first; assignment is the nearest) and the features,
/// largest gap to the nearest centroid first.
/// </summary>
public sealed record CohortFit(long SegmentationVersion, int NearestCohortId, IReadOnlyList<CentroidDistance> Distances, IReadOnlyList<FeatureGap> Features);

public static class CohortTraits
{
    /// <summary>The traits of the cohort with this stable id, in the version's feature order; null when the version has no such cohort.</summary>
    public static IReadOnlyList<CohortTrait>? Describe(SegmentationModel model, int cohortId)
    {
        ArgumentNullException.ThrowIfNull(model);
        var index = IndexOf(model, cohortId);
        if (index < 0)
        {
            return null;
        }

        var centroid = model.Centroids[index];
        var traits = new List<CohortTrait>(model.Dimensions);
        for (var c = 0; c < model.Dimensions; c++)
        {
            var unit = FeatureUnits.Of(model.FeatureNames[c]);
            var mean = model.Scaler.Means[c];
            var stored = mean + (centroid[c] * model.Scaler.Scales[c]);
            traits.Add(new CohortTrait(model.FeatureNames[c], centroid[c], unit.Natural(stored), unit.Natural(mean), unit.Unit, unit.Explanation));
        }

        return traits;
    }

    /// <summary>
    /// Distances of a user's raw features (by name, as the profile reports them) to every centroid. Null when a
    /// feature of the version is missing from <paramref name="features"/>.
    /// </summary>
    public static CohortFit? Fit(SegmentationModel model, IReadOnlyDictionary<string, float> features)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(features);
        var raw = new float[model.Dimensions];
        for (var c = 0; c < raw.Length; c++)
        {
            if (!features.TryGetValue(model.FeatureNames[c], out raw[c]))
            {
                return null;
            }
        }

        var scaled = new float[raw.Length];
        model.Scaler.Transform(raw, scaled);
        var distances = new List<CentroidDistance>(model.Centroids.Count);
        for (var i = 0; i < model.Centroids.Count; i++)
        {
            distances.Add(new CentroidDistance(model.CohortIds[i], model.Labels[i], System.Numerics.Tensors.TensorPrimitives.Distance(scaled, model.Centroids[i])));
        }

        distances.Sort((a, b) => a.Distance.CompareTo(b.Distance));
        var nearest = model.Centroids[IndexOf(model, distances[0].CohortId)];
        var gaps = new List<FeatureGap>(raw.Length);
        for (var c = 0; c < raw.Length; c++)
        {
            gaps.Add(new FeatureGap(model.FeatureNames[c], scaled[c], nearest[c]));
        }

        gaps.Sort((a, b) => Math.Abs(b.User - b.Centroid).CompareTo(Math.Abs(a.User - a.Centroid)));
        return new CohortFit(model.Version, distances[0].CohortId, distances, gaps);
    }

    private static int IndexOf(SegmentationModel model, int cohortId)
    {
        for (var i = 0; i < model.CohortIds.Count; i++)
        {
            if (model.CohortIds[i] == cohortId)
            {
                return i;
            }
        }

        return -1;
    }
}
