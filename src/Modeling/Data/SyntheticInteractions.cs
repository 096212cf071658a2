using System.Globalization;

namespace Cohortly.Modeling.Data;

/// <summary>A generated data set with planted structure, and the group each user was drawn from.</summary>
public sealed record PlantedData(InteractionDataset Data, int[] UserGroups, int Groups);

/// <summary>
/// Seeded generator of interactions with planted structure: users fall into groups, items into as many blocks, and
/// each user mostly picks items of its own group's block (with a popularity skew inside the block).
/// </summary>
public static class SyntheticInteractions
{
    public static PlantedData PlantedBlocks(
        int users,
        int items,
        int groups,
        int interactionsPerUser,
        double inBlockProbability,
        Random random,
        double popularitySkew = 1.5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(users);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(items, groups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interactionsPerUser);
        ArgumentNullException.ThrowIfNull(random);
        var perUser = Math.Min(interactionsPerUser, items / 2);
        var blockSize = items / groups;
        var builder = new InteractionDatasetBuilder();
        var userGroups = new int[users];
        for (var i = 0; i < items; i++)
        {
            builder.AddItem("i" + i.ToString(CultureInfo.InvariantCulture));
        }

        var chosen = new HashSet<int>();
        long time = 1_600_000_000;
        for (var u = 0; u < users; u++)
        {
            var g = u % groups;
            userGroups[u] = g;
            var uid = "u" + u.ToString(CultureInfo.InvariantCulture);
            builder.AddUser(uid);
            chosen.Clear();
            while (chosen.Count < perUser)
            {
                // Powers of a uniform draw favour the low indices of a block: a few popular items, a long tail.
                var skewed = Math.Pow(random.NextDouble(), popularitySkew);
                var item = random.NextDouble() < inBlockProbability
                    ? (g * blockSize) + (int)(skewed * blockSize)
                    : (int)(skewed * items);
                if (chosen.Add(Math.Min(item, items - 1)))
                {
                    time += 1 + random.Next(3600);
                    builder.Add(uid, builder.Items[Math.Min(item, items - 1)], 1 + random.Next(5), time);
                }
            }
        }

        return new PlantedData(builder.Build(), userGroups, groups);
    }
}
