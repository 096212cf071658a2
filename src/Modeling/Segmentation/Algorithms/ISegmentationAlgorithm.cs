namespace Cohortly.Modeling.Segmentation.Algorithms;

/// <summary>
/// What an algorithm found in standardized space: the centroid (mean of the members) of each cluster it kept, and for
/// density clustering how many of the rows it looked at were noise. Membership is not part of the result on purpose:
/// users are served by nearest centroid (<see cref="SegmentationModel.NearestIndex"/>), between runs as on the day of
/// the run, so the partition that counts — and whose quality a version records — is the nearest-centroid one.
/// </summary>
/// <param name="Centroids">At least one centroid, each with the input's column count.</param>
/// <param name="FittedRows">Rows the algorithm clustered itself (a bounded sample for the O(n²) algorithms).</param>
/// <param name="NoisePoints">Of those, rows in no cluster (DBSCAN); null for algorithms without a notion of noise.</param>
public sealed record ClusterFit(IReadOnlyList<float[]> Centroids, int FittedRows, int? NoisePoints = null)
{
    /// <summary>
    /// The parameters the fit ran with, as recorded in the version's quality: the configured ones and those the
    /// algorithm chose itself (DBSCAN's radius when it was left to the k-distance knee).
    /// </summary>
    public IReadOnlyList<AlgorithmParameter> Parameters { get; init; } = [];
}

/// <summary>One parameter of a fit, by name, its value written invariantly ("0.412", "average, cosine").</summary>
public sealed record AlgorithmParameter(string Name, string Value)
{
    public static AlgorithmParameter Of(string name, double value) => new(name, value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// A clustering algorithm the segmentation can be built with (chosen by type: the configuration edge maps
/// <c>Cohortly:Segmentation:Algorithm</c> to one of these once). Input rows are standardized profile features.
/// </summary>
public interface ISegmentationAlgorithm
{
    /// <summary>The configuration name, also recorded in each version's quality.</summary>
    string Name { get; }

    /// <summary>Whether the cluster count is an input (then k may be fixed or chosen by silhouette).</summary>
    bool TakesK { get; }

    /// <param name="scaled">Standardized rows; at least <paramref name="k"/> distinct ones when <see cref="TakesK"/>.</param>
    /// <param name="k">Clusters wanted (ignored when <see cref="TakesK"/> is false).</param>
    /// <param name="seed">Seed of every random choice (samples, initialisation).</param>
    ClusterFit Fit(FeatureMatrix scaled, int k, int seed, CancellationToken cancellationToken);
}
