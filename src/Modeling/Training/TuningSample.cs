using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Training;

/// <summary>
/// The users the tuner fits its candidates on: every user of the training part while their number is within
/// <see cref="TrainingTuningOptions.MaxFitUsers"/>, else a seeded sample of that many, each with all their events.
/// </summary>
/// <param name="Data">
/// The fit's interactions. The training part itself when not sampled; otherwise a set over a catalog of the sampled
/// users and the <em>whole</em> item catalog, in its order, so item counts (the item-kNN entry bound, EASE's item limit,
/// inverse user frequency's log(items / user's items)) are the full run's.
/// </param>
/// <param name="Users">Users with at least one training interaction in <see cref="Data"/>.</param>
/// <param name="Of">Users with at least one training interaction in the training part.</param>
internal sealed record TuningSample(InteractionDataset Data, int Users, int Of)
{
    public bool Sampled => Users < Of;

    /// <summary>
    /// Draws the sample: users with at least one interaction, shuffled by a seeded partial Fisher–Yates, the first
    /// <paramref name="maxUsers"/> kept in their original order; their rows in the training part's order. Depends only
    /// on the data and the seed.
    /// </summary>
    public static TuningSample Draw(InteractionDataset train, int maxUsers, int seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxUsers);
        var present = new bool[train.UserCount];
        foreach (var u in train.Users)
        {
            present[u] = true;
        }

        var active = new List<int>();
        for (var u = 0; u < present.Length; u++)
        {
            if (present[u])
            {
                active.Add(u);
            }
        }

        if (active.Count <= maxUsers)
        {
            return new TuningSample(train, active.Count, active.Count);
        }

        var random = new Random(seed);
        for (var x = 0; x < maxUsers; x++)
        {
            var pick = x + random.Next(active.Count - x);
            (active[x], active[pick]) = (active[pick], active[x]);
        }

        var kept = active.GetRange(0, maxUsers);
        kept.Sort();
        var map = new int[train.UserCount];
        Array.Fill(map, -1);
        for (var x = 0; x < kept.Count; x++)
        {
            map[kept[x]] = x;
        }

        var users = train.Users;
        var n = 0;
        foreach (var u in users)
        {
            n += map[u] >= 0 ? 1 : 0;
        }

        var sampleUsers = new int[n];
        var items = new int[n];
        var values = new float[n];
        var timestamps = new long[n];
        var eventTypes = train.HasEventTypes ? new byte[n] : null;
        var sourceItems = train.Items;
        var sourceValues = train.Values;
        var sourceTimestamps = train.Timestamps;
        var sourceTypes = train.EventTypes;
        var at = 0;
        for (var r = 0; r < users.Length; r++)
        {
            var mapped = map[users[r]];
            if (mapped < 0)
            {
                continue;
            }

            sampleUsers[at] = mapped;
            items[at] = sourceItems[r];
            values[at] = sourceValues[r];
            timestamps[at] = sourceTimestamps[r];
            if (eventTypes is not null)
            {
                eventTypes[at] = sourceTypes[r];
            }

            at++;
        }

        var allItems = new int[train.ItemCount];
        for (var i = 0; i < allItems.Length; i++)
        {
            allItems[i] = i;
        }

        var catalog = train.Catalog.Subset(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kept), allItems);
        return new TuningSample(new InteractionDataset(catalog, sampleUsers, items, values, timestamps, eventTypes), kept.Count, active.Count);
    }
}
