namespace Cohortly.Modeling.Data;

/// <summary>
/// The id spaces and descriptive data a family of interaction sets shares. Train, validation and test parts of one
/// data set point to the same catalog, so user and item indices mean the same thing in all of them.
/// </summary>
public sealed class DatasetCatalog
{
    private readonly ItemMetadata?[] _itemMetadata;
    private readonly IReadOnlyDictionary<string, string>?[] _userAttributes;

    public DatasetCatalog(
        IdIndex users,
        IdIndex items,
        ItemMetadata?[]? itemMetadata = null,
        IReadOnlyDictionary<string, string>?[]? userAttributes = null,
        IReadOnlyList<string>? eventTypeNames = null)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        Users = users;
        Items = items;
        _itemMetadata = Resize(itemMetadata, items.Count);
        _userAttributes = Resize(userAttributes, users.Count);
        EventTypeNames = eventTypeNames ?? [];
    }

    public IdIndex Users { get; }

    public IdIndex Items { get; }

    public int UserCount => Users.Count;

    public int ItemCount => Items.Count;

    /// <summary>Names of the event types, indexed by the codes stored per interaction.</summary>
    public IReadOnlyList<string> EventTypeNames { get; }

    public bool HasItemMetadata
    {
        get
        {
            foreach (var m in _itemMetadata)
            {
                if (m is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public ItemMetadata? ItemMetadata(int item) => _itemMetadata[item];

    public IReadOnlyDictionary<string, string>? UserAttributes(int user) => _userAttributes[user];

    /// <summary>Maps each user to a group label by one of its attributes (e.g. "gender"); users without it get -1.</summary>
    public int[] GroupUsersBy(string attribute, out IReadOnlyList<string> groupNames)
    {
        var names = new IdIndex();
        var groups = new int[UserCount];
        for (var u = 0; u < groups.Length; u++)
        {
            groups[u] = _userAttributes[u] is { } attrs && attrs.TryGetValue(attribute, out var v) ? names.GetOrAdd(v) : -1;
        }

        groupNames = names.Ids;
        return groups;
    }

    /// <summary>A catalog holding only the given users and items (by old index), in the given order.</summary>
    internal DatasetCatalog Subset(ReadOnlySpan<int> keptUsers, ReadOnlySpan<int> keptItems)
    {
        var users = new string[keptUsers.Length];
        var attrs = new IReadOnlyDictionary<string, string>?[keptUsers.Length];
        for (var i = 0; i < keptUsers.Length; i++)
        {
            users[i] = Users[keptUsers[i]];
            attrs[i] = _userAttributes[keptUsers[i]];
        }

        var items = new string[keptItems.Length];
        var meta = new ItemMetadata?[keptItems.Length];
        for (var i = 0; i < keptItems.Length; i++)
        {
            items[i] = Items[keptItems[i]];
            meta[i] = _itemMetadata[keptItems[i]];
        }

        return new DatasetCatalog(new IdIndex(users), new IdIndex(items), meta, attrs, EventTypeNames);
    }

    private static T?[] Resize<T>(T?[]? source, int count)
        where T : class
    {
        var result = new T?[count];
        if (source is not null)
        {
            Array.Copy(source, result, Math.Min(source.Length, count));
        }

        return result;
    }
}
