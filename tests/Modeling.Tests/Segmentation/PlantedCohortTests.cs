using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Tests.Segmentation;

public sealed class PlantedCohortTests
{
    [Fact]
    public void KMeans_on_profile_features_recovers_planted_behaviour_types()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 1000, Items = 2000 }, seed: 7);
        var end = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var events = world.History(end, days: 60, new Random(11));
        var catalog = world.Items.ToDictionary(i => i.Id, i => new Cohortly.Modeling.Events.ItemInfo(i.Id, [i.Category], i.Price));
        var profiles = world.Users.ToDictionary(u => u.Id, _ => new UserProfile());
        foreach (var e in events)
        {
            profiles[e.UserId].Apply(e.ToInteraction(), catalog[e.ItemId], ProfileOptions.Default);
        }

        var rows = world.Users.Select(u => ProfileFeatures.Extract(profiles[u.Id], end.ToUnixTimeMilliseconds())).ToList();
        var model = SegmentationBuilder.Build(FeatureMatrix.FromRows(rows), ProfileFeatures.Names, previous: null, version: 1, new SegmentationOptions { K = 5 });

        var assigned = rows.Select(r => model.Assign(r)).ToArray();
        var planted = world.Users.Select(u => (int)u.Type).ToArray();
        var ari = ClusterAgreement.AdjustedRandIndex(planted, assigned);
        Assert.True(ari >= 0.7, $"ARI {ari:F3} below 0.7; labels: {string.Join(", ", model.Labels)}");
    }
}

public sealed class ChooseKTests
{
    [Fact]
    public void Silhouette_picks_the_planted_number_of_blobs()
    {
        var rng = new Random(4);
        float[][] centres = [[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]];
        var rows = new List<float[]>();
        foreach (var c in centres)
        {
            for (var i = 0; i < 80; i++)
            {
                rows.Add(c.Select(x => x + (float)(rng.NextDouble() - 0.5)).ToArray());
            }
        }

        var (k, scores) = SegmentationBuilder.ChooseK(FeatureMatrix.FromRows(rows), new SegmentationOptions { K = 0, MinK = 2, MaxK = 7 });
        Assert.Equal(4, k);
        Assert.Equal(6, scores.Count);
    }
}
