namespace Cohortly.Modeling.Data;

/// <summary>
/// Accumulates interactions keyed by external ids and freezes them into an <see cref="InteractionDataset"/>.
/// The built set shares the builder's id indices, so the builder must not be used after <see cref="Build"/>.
/// </summary>
public sealed class InteractionDatasetBuilder
{
    private readonly IdIndex _users = new();
    private readonly IdIndex _items = new();
    private readonly IdIndex _eventTypes = new();
    private readonly Dictionary<int, ItemMetadata> _itemMetadata = [];
    private readonly Dictionary<int, IReadOnlyDictionary<string, string>> _userAttributes = [];
    private readonly List<int> _u = [];
    private readonly List<int> _i = [];
    private readonly List<float> _v = [];
    private readonly List<long> _t = [];
    private readonly List<byte> _e = [];
    private bool _anyEventType;

    public int Count => _u.Count;

    public IdIndex Users => _users;

    public IdIndex Items => _items;

    /// <summary>Registers a user without interactions (keeps ids in file order when read before the interactions).</summary>
    public int AddUser(ReadOnlySpan<char> userId, IReadOnlyDictionary<string, string>? attributes = null)
    {
        var u = _users.GetOrAdd(userId);
        if (attributes is not null)
        {
            _userAttributes[u] = attributes;
        }

        return u;
    }

    /// <summary>Registers an item, with metadata, even if nobody interacted with it (cold-start items).</summary>
    public int AddItem(ReadOnlySpan<char> itemId, ItemMetadata? metadata = null)
    {
        var i = _items.GetOrAdd(itemId);
        if (metadata is not null)
        {
            _itemMetadata[i] = metadata;
        }

        return i;
    }

    public bool TryGetItemMetadata(int item, out ItemMetadata metadata) => _itemMetadata.TryGetValue(item, out metadata!);

    public void SetItemMetadata(int item, ItemMetadata metadata) => _itemMetadata[item] = metadata;

    public int Add(ReadOnlySpan<char> userId, ReadOnlySpan<char> itemId, float value, long timestamp, ReadOnlySpan<char> eventType = default)
    {
        var row = _u.Count;
        _u.Add(_users.GetOrAdd(userId));
        _i.Add(_items.GetOrAdd(itemId));
        _v.Add(value);
        _t.Add(timestamp);
        // Rows without a type get the "" type so codes stay unambiguous when some rows have one.
        _anyEventType |= !eventType.IsEmpty;
        var code = _eventTypes.GetOrAdd(eventType);
        if (code > byte.MaxValue)
        {
            throw new InvalidOperationException("more than 256 distinct event types");
        }

        _e.Add((byte)code);

        return row;
    }

    public InteractionDataset Build()
    {
        var meta = new ItemMetadata?[_items.Count];
        foreach (var (k, m) in _itemMetadata)
        {
            meta[k] = m;
        }

        var attrs = new IReadOnlyDictionary<string, string>?[_users.Count];
        foreach (var (k, a) in _userAttributes)
        {
            attrs[k] = a;
        }

        var catalog = new DatasetCatalog(_users, _items, meta, attrs, _anyEventType ? _eventTypes.Ids : null);
        return new InteractionDataset(catalog, [.. _u], [.. _i], [.. _v], [.. _t], _anyEventType ? [.. _e] : null);
    }
}
