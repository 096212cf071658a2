namespace Cohortly.Modeling.Data;

/// <summary>
/// Interactions as parallel arrays (user index, item index, value, unix seconds, optional event type code) over a
/// shared <see cref="DatasetCatalog"/>. Immutable: filters and splits return new sets.
/// </summary>
public sealed class InteractionDataset
{
    private readonly int[] _users;
    private readonly int[] _items;
    private readonly float[] _values;
    private readonly long[] _timestamps;
    private readonly byte[]? _eventTypes;

    public InteractionDataset(DatasetCatalog catalog, int[] users, int[] items, float[] values, long[] timestamps, byte[]? eventTypes = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(timestamps);
        var n = users.Length;
        if (items.Length != n || values.Length != n || timestamps.Length != n || (eventTypes is not null && eventTypes.Length != n))
        {
            throw new ArgumentException("interaction arrays must have the same length");
        }

        for (var i = 0; i < n; i++)
        {
            if ((uint)users[i] >= (uint)catalog.UserCount || (uint)items[i] >= (uint)catalog.ItemCount)
            {
                throw new ArgumentException($"interaction {i} refers to user {users[i]} / item {items[i]} outside the catalog");
            }
        }

        Catalog = catalog;
        _users = users;
        _items = items;
        _values = values;
        _timestamps = timestamps;
        _eventTypes = eventTypes;
    }

    public DatasetCatalog Catalog { get; }

    public int Count => _users.Length;

    public int UserCount => Catalog.UserCount;

    public int ItemCount => Catalog.ItemCount;

    public ReadOnlySpan<int> Users => _users;

    public ReadOnlySpan<int> Items => _items;

    public ReadOnlySpan<float> Values => _values;

    public ReadOnlySpan<long> Timestamps => _timestamps;

    public bool HasEventTypes => _eventTypes is not null;

    public ReadOnlySpan<byte> EventTypes => _eventTypes;

    /// <summary>The interactions at the given row positions, in that order, over the same catalog.</summary>
    public InteractionDataset Select(ReadOnlySpan<int> rows)
    {
        var n = rows.Length;
        var u = new int[n];
        var it = new int[n];
        var v = new float[n];
        var t = new long[n];
        var e = _eventTypes is null ? null : new byte[n];
        for (var i = 0; i < n; i++)
        {
            var r = rows[i];
            u[i] = _users[r];
            it[i] = _items[r];
            v[i] = _values[r];
            t[i] = _timestamps[r];
            if (e is not null)
            {
                e[i] = _eventTypes![r];
            }
        }

        return new InteractionDataset(Catalog, u, it, v, t, e);
    }

    /// <summary>The interactions for which <paramref name="keep"/> returns true (given the row position).</summary>
    public InteractionDataset Where(Func<int, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var rows = new List<int>(Count);
        for (var i = 0; i < Count; i++)
        {
            if (keep(i))
            {
                rows.Add(i);
            }
        }

        return Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
    }

    /// <summary>Both sets' interactions in one set; they must share a catalog.</summary>
    public static InteractionDataset Concat(InteractionDataset first, InteractionDataset second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (!ReferenceEquals(first.Catalog, second.Catalog))
        {
            throw new ArgumentException("data sets must share a catalog to be concatenated");
        }

        byte[]? e = null;
        if (first._eventTypes is not null && second._eventTypes is not null)
        {
            e = [.. first._eventTypes, .. second._eventTypes];
        }

        return new InteractionDataset(
            first.Catalog,
            [.. first._users, .. second._users],
            [.. first._items, .. second._items],
            [.. first._values, .. second._values],
            [.. first._timestamps, .. second._timestamps],
            e);
    }

    /// <summary>
    /// Re-indexes users and items so that only those with at least one interaction remain (in their old relative
    /// order); returns a set over a new catalog.
    /// </summary>
    public InteractionDataset Compact()
    {
        var userMap = new int[UserCount];
        var itemMap = new int[ItemCount];
        Array.Fill(userMap, -1);
        Array.Fill(itemMap, -1);
        foreach (var u in _users)
        {
            userMap[u] = 0;
        }

        foreach (var i in _items)
        {
            itemMap[i] = 0;
        }

        var keptUsers = Renumber(userMap);
        var keptItems = Renumber(itemMap);
        var catalog = Catalog.Subset(keptUsers, keptItems);
        var u2 = new int[Count];
        var i2 = new int[Count];
        for (var k = 0; k < Count; k++)
        {
            u2[k] = userMap[_users[k]];
            i2[k] = itemMap[_items[k]];
        }

        return new InteractionDataset(catalog, u2, i2, (float[])_values.Clone(), (long[])_timestamps.Clone(), (byte[]?)_eventTypes?.Clone());
    }

    /// <summary>Number of interactions per user.</summary>
    public int[] CountPerUser()
    {
        var c = new int[UserCount];
        foreach (var u in _users)
        {
            c[u]++;
        }

        return c;
    }

    /// <summary>Number of interactions per item.</summary>
    public int[] CountPerItem()
    {
        var c = new int[ItemCount];
        foreach (var i in _items)
        {
            c[i]++;
        }

        return c;
    }

    /// <summary>Row positions grouped by user (CSR layout): rows of user u are order[start[u]..start[u+1]].</summary>
    public (int[] Start, int[] Order) RowsByUser()
    {
        var start = new int[UserCount + 1];
        foreach (var u in _users)
        {
            start[u + 1]++;
        }

        for (var u = 0; u < UserCount; u++)
        {
            start[u + 1] += start[u];
        }

        var next = (int[])start.Clone();
        var order = new int[Count];
        for (var r = 0; r < Count; r++)
        {
            order[next[_users[r]]++] = r;
        }

        return (start, order);
    }

    private static int[] Renumber(int[] map)
    {
        var kept = new List<int>();
        for (var i = 0; i < map.Length; i++)
        {
            if (map[i] == 0)
            {
                map[i] = kept.Count;
                kept.Add(i);
            }
        }

        return [.. kept];
    }
}
