using System.Globalization;
using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Tests.Cohorts;

/// <summary>
/// Seeded split data with three user groups over two item blocks: group 0 mostly takes items of block 0, group 1 of
/// block 1, group 2 picks either group's taste at random for every item, so its popularity is the global one (no
/// preference a cohort model could learn).
/// </summary>
internal static class CohortWorlds
{
    public const int Items = 200;

    public static (DatasetSplit Split, int[] Groups) ThreeGroups(int usersPerGroup = 150, int perUser = 30, int seed = 1)
    {
        var random = new Random(seed);
        var builder = new InteractionDatasetBuilder();
        for (var i = 0; i < Items; i++)
        {
            builder.AddItem("i" + i.ToString(CultureInfo.InvariantCulture));
        }

        var users = usersPerGroup * 3;
        var groups = new int[users];
        var chosen = new HashSet<int>();
        long time = 1_700_000_000;
        for (var u = 0; u < users; u++)
        {
            var g = u % 3;
            groups[u] = g;
            var id = "u" + u.ToString(CultureInfo.InvariantCulture);
            builder.AddUser(id);
            chosen.Clear();
            while (chosen.Count < perUser)
            {
                // Item popularity falls with the index inside a block and across the catalog alike.
                var taste = g < 2 ? g : random.Next(2);
                var skew = Math.Pow(random.NextDouble(), 2);
                var item = random.NextDouble() < 0.85
                    ? (taste * (Items / 2)) + (int)(skew * (Items / 2))
                    : (int)(skew * Items);
                if (chosen.Add(item))
                {
                    time += 60;
                    builder.Add(id, builder.Items[item], 1, time);
                }
            }
        }

        var data = builder.Build();
        return (DatasetSplitter.RandomPerUser(data, SplitRatios.Default, new Random(seed + 1)), groups);
    }

    /// <summary>
    /// Seeded short histories with personal tastes and, in the first <paramref name="plantedGroups"/> of
    /// <paramref name="groupCount"/> cohorts, a cohort taste: each member takes one of the cohort's 15 favourite items
    /// with probability <paramref name="cohortShare"/> per pick. Every user has a personal genre (items i with
    /// i mod 10 = genre) that half of the picks come from; the rest follow global popularity. A user has only
    /// <paramref name="perUser"/> items, so their own history says little and the cohort's pooled history says more
    /// (what a cohort can add to a personalised model). Events are spread at random over 30 days. With
    /// <paramref name="shuffleGroups"/> the cohort labels are redrawn independently of the tastes: no cohort effect.
    /// </summary>
    public static (DatasetSplit Split, int[] Groups) PlantedTastes(
        int seed,
        int usersPerGroup = 800,
        int groupCount = 4,
        int plantedGroups = 2,
        int perUser = 5,
        double cohortShare = 0.3,
        bool shuffleGroups = false,
        int favoriteCount = 15)
    {
        const int Genres = 10;
        var Favorites = favoriteCount;
        var random = new Random(seed);
        var builder = new InteractionDatasetBuilder();
        for (var i = 0; i < Items; i++)
        {
            builder.AddItem("i" + i.ToString(CultureInfo.InvariantCulture));
        }

        var favorites = new int[plantedGroups][];
        for (var g = 0; g < plantedGroups; g++)
        {
            favorites[g] = new int[Favorites];
            for (var f = 0; f < Favorites; f++)
            {
                favorites[g][f] = random.Next(Items);
            }
        }

        var users = usersPerGroup * groupCount;
        var groups = new int[users];
        var chosen = new HashSet<int>();
        const long Start = 1_700_000_000;
        for (var u = 0; u < users; u++)
        {
            var g = u % groupCount;
            groups[u] = g;
            var id = "u" + u.ToString(CultureInfo.InvariantCulture);
            builder.AddUser(id);
            var genre = random.Next(Genres);
            chosen.Clear();
            while (chosen.Count < perUser)
            {
                var draw = random.NextDouble();
                var skew = Math.Pow(random.NextDouble(), 2);
                int item;
                if (g < plantedGroups && draw < cohortShare)
                {
                    item = favorites[g][random.Next(Favorites)];
                }
                else if (random.NextDouble() < 0.5)
                {
                    item = genre + (Genres * (int)(skew * (Items / Genres)));
                }
                else
                {
                    item = (int)(skew * Items);
                }

                if (chosen.Add(item))
                {
                    builder.Add(id, builder.Items[item], 1, Start + random.Next(30 * 86_400));
                }
            }
        }

        if (shuffleGroups)
        {
            var relabel = new Random(seed + 100);
            for (var u = 0; u < users; u++)
            {
                groups[u] = relabel.Next(groupCount);
            }
        }

        var data = builder.Build();
        return (DatasetSplitter.RandomPerUser(data, SplitRatios.Default, new Random(seed + 1)), groups);
    }
}
