using Cohortly.Contracts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Cohorts;

/// <summary>
/// Rebuilds every user's live profile from an interaction set by replaying the events in time order through
/// <see cref="UserProfile.Apply"/> — the code the UserGrain runs — so offline cohorts and purchase features are the
/// ones the cluster would compute. Event types come from the data set's event names when they parse as
/// <see cref="InteractionType"/>; otherwise an interaction is a rating with its value.
/// </summary>
public static class ProfileReplay
{
    /// <summary>Profiles of all users of the catalog (an untouched profile for users without events).</summary>
    public static UserProfile[] Build(InteractionDataset data, ProfileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= ProfileOptions.Default;
        var catalog = data.Catalog;
        var types = EventTypeMap(data);
        var items = new ItemInfo?[data.ItemCount];
        var profiles = new UserProfile[data.UserCount];
        for (var u = 0; u < profiles.Length; u++)
        {
            profiles[u] = new UserProfile();
        }

        // Stable time order: the profile's sessions and decay depend on it.
        var order = new int[data.Count];
        for (var r = 0; r < order.Length; r++)
        {
            order[r] = r;
        }

        var timestamps = data.Timestamps.ToArray();
        Array.Sort(timestamps, order);
        var users = data.Users;
        var itemIndex = data.Items;
        var values = data.Values;
        var codes = data.HasEventTypes ? data.EventTypes : default;
        foreach (var r in order)
        {
            var item = itemIndex[r];
            var info = items[item] ??= ToItemInfo(catalog, item);
            var type = codes.IsEmpty ? InteractionType.Rating : types[codes[r]];
            var e = new Interaction(catalog.Users[users[r]], info.Id, type, values[r], data.Timestamps[r] * 1000, null);
            profiles[users[r]].Apply(e, info, options);
        }

        return profiles;
    }

    /// <summary>The latest timestamp of the set in unix milliseconds ("now" for recency features); 0 when empty.</summary>
    public static long LastTimestampMs(InteractionDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var max = 0L;
        foreach (var t in data.Timestamps)
        {
            max = Math.Max(max, t);
        }

        return max * 1000;
    }

    /// <summary><see cref="ProfileFeatures"/> of every profile at <paramref name="nowMs"/>, one row per user.</summary>
    public static FeatureMatrix Features(IReadOnlyList<UserProfile> profiles, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var m = new FeatureMatrix(profiles.Count, ProfileFeatures.Count);
        for (var u = 0; u < profiles.Count; u++)
        {
            ProfileFeatures.Extract(profiles[u], nowMs, m.Row(u));
        }

        return m;
    }

    private static ItemInfo ToItemInfo(DatasetCatalog catalog, int item)
    {
        var meta = catalog.ItemMetadata(item);
        return new ItemInfo(catalog.Items[item], meta?.Categories ?? [], null);
    }

    private static InteractionType[] EventTypeMap(InteractionDataset data)
    {
        var names = data.Catalog.EventTypeNames;
        var map = new InteractionType[Math.Max(256, names.Count)];
        Array.Fill(map, InteractionType.Rating);
        for (var c = 0; c < names.Count; c++)
        {
            if (InteractionTypes.TryParse(names[c], out var t))
            {
                map[c] = t;
            }
        }

        return map;
    }
}
