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
}
