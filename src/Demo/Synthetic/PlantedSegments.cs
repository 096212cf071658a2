using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Demo.Synthetic;

/// <summary>
/// The segmentation's input for a synthetic world: each user's profile features after a generated history, with the
/// behaviour type the world planted in that user, so a segmentation can be scored against the plant (adjusted Rand).
/// </summary>
public sealed record PlantedSegments(FeatureMatrix Features, int[] Planted)
{
    /// <summary>Profiles built from <paramref name="days"/> of history ending at <paramref name="end"/>, features as of <paramref name="end"/>.</summary>
    public static PlantedSegments From(SyntheticWorld world, DateTimeOffset end, int days, Random rng)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(rng);
        var catalog = new Dictionary<string, ItemInfo>(world.Items.Count, StringComparer.Ordinal);
        foreach (var item in world.Items)
        {
            catalog[item.Id] = new ItemInfo(item.Id, [item.Category], item.Price);
        }

        var index = new Dictionary<string, int>(world.Users.Count, StringComparer.Ordinal);
        var profiles = new UserProfile[world.Users.Count];
        var planted = new int[world.Users.Count];
        for (var u = 0; u < profiles.Length; u++)
        {
            index[world.Users[u].Id] = u;
            profiles[u] = new UserProfile();
            planted[u] = (int)world.Users[u].Type;
        }

        foreach (var e in world.History(end, days, rng))
        {
            profiles[index[e.UserId]].Apply(e.ToInteraction(), catalog[e.ItemId], ProfileOptions.Default);
        }

        var features = new FeatureMatrix(profiles.Length, ProfileFeatures.Count);
        var now = end.ToUnixTimeMilliseconds();
        for (var u = 0; u < profiles.Length; u++)
        {
            ProfileFeatures.Extract(profiles[u], now, features.Row(u));
        }

        return new PlantedSegments(features, planted);
    }
}
