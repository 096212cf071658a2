using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Users;

namespace Cohortly.Grains.Users;

/// <summary>Maps persisted user state to its read model.</summary>
internal static class UserViews
{
    public static UserProfileView Profile(string userId, UserState s, CohortMembership? membership, DateTimeOffset now, ProfileOptions profileOptions)
    {
        var p = s.Profile;
        var counts = new Dictionary<string, long>(InteractionTypes.Count);
        for (var i = 0; i < InteractionTypes.Count; i++)
        {
            counts[InteractionTypes.Names[i]] = p.Counts[i];
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var affinity = new Dictionary<string, double>(p.CategoryAffinity.Count);
        foreach (var category in p.CategoryAffinity.Keys)
        {
            affinity[category] = Math.Round(p.AffinityAt(category, nowMs, profileOptions), 6);
        }

        var features = ProfileFeatures.Extract(p, nowMs);
        var named = new Dictionary<string, float>(features.Length);
        for (var i = 0; i < features.Length; i++)
        {
            named[ProfileFeatures.Names[i]] = features[i];
        }

        var transitions = new List<CohortTransition>(s.Transitions.Count);
        foreach (var t in s.Transitions)
        {
            transitions.Add(new CohortTransition(t.From, t.To, t.At, t.SegmentationVersion));
        }

        var recent = new List<RecentItemView>(p.RecentItems.Count);
        foreach (var r in p.RecentItems)
        {
            recent.Add(new RecentItemView(r.ItemId, r.Type.ToWireName(), DateTimeOffset.FromUnixTimeMilliseconds(r.TimestampMs)));
        }

        return new UserProfileView
        {
            UserId = userId,
            Counts = counts,
            FirstSeen = DateTimeOffset.FromUnixTimeMilliseconds(p.FirstSeenMs),
            LastSeen = DateTimeOffset.FromUnixTimeMilliseconds(p.LastSeenMs),
            ActiveDays = p.ActiveDays,
            EventsPerActiveDay = p.ActiveDays == 0 ? 0 : (double)p.TotalEvents / p.ActiveDays,
            Monetary = Math.Round(p.Monetary, 2),
            Sessions = p.Sessions,
            AverageSessionMinutes = p.Sessions == 0 ? 0 : Math.Round(p.SessionSeconds / 60 / p.Sessions, 3),
            CategoryAffinity = affinity,
            Devices = new Dictionary<string, int>(p.Devices),
            HourOfDay = [.. p.HourOfDay],
            RecentItems = recent,
            Cohort = membership,
            Transitions = transitions,
            Features = named,
            DuplicatesIgnored = s.DuplicatesIgnored,
            Attributes = s.Attributes ?? [],
        };
    }
}
