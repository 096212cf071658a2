namespace Cohortly.Modeling.Segmentation;

/// <summary>One sampled user on the map: its coordinates on the first two principal components and its cohort.</summary>
public sealed record CohortMapPoint(string UserId, int CohortId, float X, float Y);

/// <summary>A cohort's centroid projected with the same components as the users.</summary>
public sealed record CohortMapCentroid(int CohortId, string Label, float X, float Y, int SampledUsers);

/// <summary>
/// The 2-D picture of a segmentation version. <see cref="ExplainedVariance"/>: each axis' share of the standardized
/// features' variance in the sample; <see cref="SampleSize"/>: users in the sample, of which <see cref="Points"/>
/// holds at most the requested number.
/// </summary>
public sealed record CohortMapResult(
    long SegmentationVersion,
    int SampleSize,
    IReadOnlyList<CohortMapPoint> Points,
    IReadOnlyList<CohortMapCentroid> Centroids,
    IReadOnlyList<double> ExplainedVariance);

/// <summary>
/// Projects sampled users of a segmentation version onto a plane an analyst can read: the users' raw features are
/// standardized with the version's scaler (the space the cohorts were clustered in), each is assigned its nearest
/// centroid as serving does, and the standardized rows and the centroids are projected on the first two principal
/// components of the standardized sample. PCA rather than a non-linear embedding (t-SNE, UMAP): it is exact,
/// deterministic and cheap, and distances along its axes mean the same everywhere, so a centroid's position among its
/// users is honest.
/// </summary>
public static class CohortMap
{
    /// <param name="maxPoints">At most this many users are returned (a seeded uniform subsample); all are used for the fit.</param>
    public static CohortMapResult Build(SegmentationModel model, IReadOnlyList<string> userIds, IReadOnlyList<float[]> rows, int maxPoints, Random random)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(userIds);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPoints);
        if (userIds.Count != rows.Count)
        {
            throw new ArgumentException($"{userIds.Count} user ids for {rows.Count} rows", nameof(userIds));
        }

        var d = model.Dimensions;
        var usable = new List<int>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            // A row of another feature layout (a silo on an older build) cannot be placed in this version's space.
            if (rows[i].Length == d)
            {
                usable.Add(i);
            }
        }

        var counts = new int[model.Centroids.Count];
        if (usable.Count == 0)
        {
            return new CohortMapResult(model.Version, 0, [], Centroids(model, null, counts), [0, 0]);
        }

        var standardized = new FeatureMatrix(usable.Count, d);
        var nearest = new int[usable.Count];
        for (var r = 0; r < usable.Count; r++)
        {
            var raw = rows[usable[r]];
            model.Scaler.Transform(raw, standardized.Row(r));
            nearest[r] = model.NearestIndex(raw, out _);
            counts[nearest[r]]++;
        }

        var pca = PrincipalComponents.Fit(standardized, 2);
        var order = new int[usable.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var take = Math.Min(maxPoints, order.Length);
        for (var i = 0; i < take; i++)
        {
            var j = random.Next(i, order.Length);
            (order[i], order[j]) = (order[j], order[i]);
        }

        var points = new List<CohortMapPoint>(take);
        Span<float> xy = stackalloc float[2];
        for (var i = 0; i < take; i++)
        {
            var r = order[i];
            Project(pca, standardized.ReadRow(r), xy);
            points.Add(new CohortMapPoint(userIds[usable[r]], model.CohortIds[nearest[r]], xy[0], xy[1]));
        }

        return new CohortMapResult(model.Version, usable.Count, points, Centroids(model, pca, counts), [.. pca.ExplainedVariance, .. new double[Math.Max(0, 2 - pca.ExplainedVariance.Length)]]);
    }

    private static void Project(PrincipalComponents pca, ReadOnlySpan<float> row, Span<float> xy)
    {
        xy.Clear();
        pca.Project(row, xy[..pca.Components.Count]);
    }

    private static List<CohortMapCentroid> Centroids(SegmentationModel model, PrincipalComponents? pca, int[] counts)
    {
        var result = new List<CohortMapCentroid>(model.Centroids.Count);
        Span<float> xy = stackalloc float[2];
        for (var i = 0; i < model.Centroids.Count; i++)
        {
            xy.Clear();
            if (pca is not null)
            {
                Project(pca, model.Centroids[i], xy);
            }

            result.Add(new CohortMapCentroid(model.CohortIds[i], model.Labels[i], xy[0], xy[1], counts[i]));
        }

        return result;
    }
}
