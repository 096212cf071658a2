using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Tests.Segmentation;

public sealed class CohortMapTests
{
    [Fact]
    public void Principal_components_find_the_direction_of_largest_variance_and_its_share()
    {
        // Points spread along (1, 1, 0) with a little noise across it: PC1 is that diagonal and holds nearly all variance.
        var rng = new Random(5);
        var rows = new List<float[]>();
        for (var i = 0; i < 400; i++)
        {
            var t = (float)((rng.NextDouble() * 20) - 10);
            var noise = (float)((rng.NextDouble() - 0.5) * 0.2);
            rows.Add([t + noise, t - noise, (float)((rng.NextDouble() - 0.5) * 0.2)]);
        }

        var pca = PrincipalComponents.Fit(FeatureMatrix.FromRows(rows), 2);
        var pc1 = pca.Components[0];
        Assert.Equal(1 / Math.Sqrt(2), pc1[0], 3);
        Assert.Equal(1 / Math.Sqrt(2), pc1[1], 3);
        Assert.Equal(0, pc1[2], 2);
        Assert.InRange(pca.ExplainedVariance[0], 0.99, 1.0);
        Assert.InRange(pca.ExplainedVariance[1], 0.0, 0.01);

        // Components are orthonormal.
        var pc2 = pca.Components[1];
        Assert.Equal(0, (pc1[0] * pc2[0]) + (pc1[1] * pc2[1]) + (pc1[2] * pc2[2]), 3);
        Assert.Equal(1, (pc2[0] * pc2[0]) + (pc2[1] * pc2[1]) + (pc2[2] * pc2[2]), 3);
    }

    [Fact]
    public void Principal_components_are_deterministic_in_sign_and_value()
    {
        var rows = Blobs(40, [[0, 0, 0], [6, 1, 0], [0, 6, 2]], seed: 3);
        var a = PrincipalComponents.Fit(rows, 2);
        var b = PrincipalComponents.Fit(rows, 2);
        Assert.Equal(a.Components[0], b.Components[0]);
        Assert.Equal(a.Components[1], b.Components[1]);
        foreach (var component in a.Components)
        {
            Assert.True(component.MaxBy(Math.Abs) > 0, "the largest entry of a component is positive");
        }
    }

    [Fact]
    public void Map_places_each_planted_cohort_around_its_own_projected_centroid()
    {
        float[][] centres = [[0, 0, 0], [6, 1, 0], [0, 6, 2]];
        var data = Blobs(50, centres, seed: 1);
        var model = SegmentationBuilder.Build(data, ["monetary", "frequency", "night_share"], null, 4, new SegmentationOptions { K = 3, Seed = 1 });
        var ids = Enumerable.Range(0, data.Rows).Select(i => $"u{i}").ToList();
        var rows = Enumerable.Range(0, data.Rows).Select(i => data.ReadRow(i).ToArray()).ToList();

        var map = CohortMap.Build(model, ids, rows, maxPoints: 1000, new Random(1));

        Assert.Equal(4, map.SegmentationVersion);
        Assert.Equal(150, map.SampleSize);
        Assert.Equal(150, map.Points.Count);
        Assert.Equal(3, map.Centroids.Count);
        Assert.Equal(model.CohortIds.Order(), map.Points.Select(p => p.CohortId).Distinct().Order());
        Assert.All(map.Centroids, c => Assert.Equal(50, c.SampledUsers));
        Assert.InRange(map.ExplainedVariance[0] + map.ExplainedVariance[1], 0.9, 1.0);

        // Every point is nearer (on the plane) to its own cohort's centroid than to any other: the picture tells the truth.
        foreach (var p in map.Points)
        {
            var nearest = map.Centroids.MinBy(c => Math.Pow(c.X - p.X, 2) + Math.Pow(c.Y - p.Y, 2))!;
            Assert.Equal(p.CohortId, nearest.CohortId);
            Assert.Equal(model.Assign(rows[int.Parse(p.UserId[1..], System.Globalization.CultureInfo.InvariantCulture)]), p.CohortId);
        }
    }

    [Fact]
    public void Map_returns_a_seeded_subsample_but_fits_and_counts_on_every_row()
    {
        var data = Blobs(100, [[0, 0], [5, 5]], seed: 2);
        var model = SegmentationBuilder.Build(data, ["monetary", "frequency"], null, 1, new SegmentationOptions { K = 2, Seed = 1 });
        var ids = Enumerable.Range(0, data.Rows).Select(i => $"u{i}").ToList();
        var rows = Enumerable.Range(0, data.Rows).Select(i => data.ReadRow(i).ToArray()).ToList();
        rows.Add([1, 2, 3]);
        ids.Add("other-layout");

        var first = CohortMap.Build(model, ids, rows, maxPoints: 30, new Random(7));
        var again = CohortMap.Build(model, ids, rows, maxPoints: 30, new Random(7));

        Assert.Equal(200, first.SampleSize);
        Assert.Equal(30, first.Points.Count);
        Assert.Equal(30, first.Points.Select(p => p.UserId).Distinct().Count());
        Assert.DoesNotContain(first.Points, p => p.UserId == "other-layout");
        Assert.Equal(first.Points, again.Points);
        Assert.Equal(200, first.Centroids.Sum(c => c.SampledUsers));
    }

    [Fact]
    public void Map_of_an_empty_sample_has_no_points_and_the_centroids_at_the_origin()
    {
        var data = Blobs(20, [[0, 0], [5, 5]], seed: 2);
        var model = SegmentationBuilder.Build(data, ["monetary", "frequency"], null, 1, new SegmentationOptions { K = 2, Seed = 1 });
        var map = CohortMap.Build(model, [], [], 10, new Random(1));
        Assert.Empty(map.Points);
        Assert.Equal(0, map.SampleSize);
        Assert.All(map.Centroids, c => Assert.Equal((0f, 0), (c.X, c.SampledUsers)));
    }

    [Fact]
    public void Traits_give_the_centroid_in_natural_units_beside_the_population()
    {
        // monetary is stored as log(1 + x); purchase_rate as is.
        var scaler = new FeatureScaler([(float)Math.Log(1 + 99), 0.1f], [1f, 0.05f]);
        var model = new SegmentationModel(3, ["monetary", "purchase_rate"], scaler, [[1f, 2f], [-1f, 0f]], [7, 9], ["big spenders", "browsers"]);

        var traits = CohortTraits.Describe(model, 7)!;
        Assert.Equal(2, traits.Count);
        Assert.Equal("monetary", traits[0].Name);
        Assert.Equal(1, traits[0].Standardized);
        Assert.Equal(99, traits[0].Population, 3);
        Assert.Equal(Math.Exp(Math.Log(100) + 1) - 1, traits[0].Value, 2);
        Assert.Equal("currency", traits[0].Unit);
        Assert.Equal(0.2, traits[1].Value, 5);
        Assert.Equal(0.1, traits[1].Population, 5);
        Assert.Null(CohortTraits.Describe(model, 8));
    }

    [Fact]
    public void Fit_lists_distances_nearest_first_and_the_largest_gaps()
    {
        var scaler = new FeatureScaler([0f, 0f], [1f, 2f]);
        var model = new SegmentationModel(3, ["monetary", "purchase_rate"], scaler, [[0f, 0f], [3f, 0f]], [7, 9], ["a", "b"]);

        var fit = CohortTraits.Fit(model, new Dictionary<string, float> { ["monetary"] = 2.5f, ["purchase_rate"] = 2f })!;
        Assert.Equal(9, fit.NearestCohortId);
        Assert.Equal(model.Assign([2.5f, 2f]), fit.NearestCohortId);
        Assert.Equal([9, 7], fit.Distances.Select(d => d.CohortId));
        Assert.Equal(Math.Sqrt(0.25 + 1), fit.Distances[0].Distance, 5);
        Assert.Equal(Math.Sqrt(6.25 + 1), fit.Distances[1].Distance, 5);
        Assert.Equal("purchase_rate", fit.Features[0].Name);
        Assert.Equal(1, fit.Features[0].User, 5);
        Assert.Null(CohortTraits.Fit(model, new Dictionary<string, float> { ["monetary"] = 1 }));
    }

    [Fact]
    public void Every_profile_feature_has_a_unit()
    {
        foreach (var name in ProfileFeatures.Names)
        {
            Assert.NotEqual("a feature this build does not describe", FeatureUnits.Of(name).Explanation);
        }
    }

    private static FeatureMatrix Blobs(int perBlob, float[][] centres, int seed)
    {
        var rng = new Random(seed);
        var rows = new List<float[]>();
        foreach (var c in centres)
        {
            for (var i = 0; i < perBlob; i++)
            {
                rows.Add(c.Select(x => x + (float)((rng.NextDouble() - 0.5) * 0.6)).ToArray());
            }
        }

        return FeatureMatrix.FromRows(rows);
    }
}
