namespace Cohortly.Modeling.Data;

/// <summary>
/// Row filters. They keep the catalog (indices stay valid); call <see cref="InteractionDataset.Compact"/> afterwards
/// to drop users and items left without interactions.
/// </summary>
public static class DatasetFilters
{
    /// <summary>Keeps interactions whose value is at least <paramref name="threshold"/>.</summary>
    public static InteractionDataset MinValue(InteractionDataset data, float threshold)
    {
        ArgumentNullException.ThrowIfNull(data);
        var values = data.Values;
        var rows = new List<int>(data.Count);
        for (var r = 0; r < values.Length; r++)
        {
            if (values[r] >= threshold)
            {
                rows.Add(r);
            }
        }

        return data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
    }

    /// <summary>
    /// Removes interactions of users with fewer than <paramref name="minPerUser"/> and items with fewer than
    /// <paramref name="minPerItem"/> interactions, repeating until every remaining user and item passes.
    /// </summary>
    public static InteractionDataset KCore(InteractionDataset data, int minPerUser, int minPerItem)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(minPerUser);
        ArgumentOutOfRangeException.ThrowIfNegative(minPerItem);
        var users = data.Users;
        var items = data.Items;
        var alive = new bool[data.Count];
        Array.Fill(alive, true);
        var userCount = new int[data.UserCount];
        var itemCount = new int[data.ItemCount];
        while (true)
        {
            Array.Clear(userCount);
            Array.Clear(itemCount);
            for (var r = 0; r < alive.Length; r++)
            {
                if (alive[r])
                {
                    userCount[users[r]]++;
                    itemCount[items[r]]++;
                }
            }

            var removed = 0;
            for (var r = 0; r < alive.Length; r++)
            {
                if (alive[r] && (userCount[users[r]] < minPerUser || itemCount[items[r]] < minPerItem))
                {
                    alive[r] = false;
                    removed++;
                }
            }

            if (removed == 0)
            {
                break;
            }
        }

        var rows = new List<int>(data.Count);
        for (var r = 0; r < alive.Length; r++)
        {
            if (alive[r])
            {
                rows.Add(r);
            }
        }

        return data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
    }

    /// <summary>Keeps one interaction per (user, item): the latest, as RecBole's duplicate removal does.</summary>
    public static InteractionDataset RemoveDuplicates(InteractionDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (start, order) = data.RowsByUser();
        var items = data.Items;
        var ts = data.Timestamps;
        var latest = new Dictionary<int, int>();
        var rows = new List<int>(data.Count);
        for (var u = 0; u < data.UserCount; u++)
        {
            latest.Clear();
            for (var k = start[u]; k < start[u + 1]; k++)
            {
                var r = order[k];
                if (!latest.TryGetValue(items[r], out var prev) || ts[r] >= ts[prev])
                {
                    latest[items[r]] = r;
                }
            }

            foreach (var r in latest.Values)
            {
                rows.Add(r);
            }
        }

        rows.Sort();
        return data.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
    }
}
