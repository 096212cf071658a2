namespace Cohortly.Modeling.Data;

/// <summary>
/// Dense index over external string ids: the first id added gets 0, the next 1, and so on.
/// Lookups by span avoid allocating a string per parsed line.
/// </summary>
public sealed class IdIndex
{
    private readonly List<string> _ids;
    private readonly Dictionary<string, int> _map;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanLookup;

    public IdIndex()
        : this([])
    {
    }

    public IdIndex(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        _ids = [];
        _map = new Dictionary<string, int>(StringComparer.Ordinal);
        _spanLookup = _map.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var id in ids)
        {
            if (!_map.TryAdd(id, _ids.Count))
            {
                throw new ArgumentException($"duplicate id '{id}'", nameof(ids));
            }

            _ids.Add(id);
        }
    }

    public int Count => _ids.Count;

    public IReadOnlyList<string> Ids => _ids;

    public string this[int index] => _ids[index];

    public int GetOrAdd(ReadOnlySpan<char> id)
    {
        if (_spanLookup.TryGetValue(id, out var index))
        {
            return index;
        }

        var s = id.ToString();
        index = _ids.Count;
        _map.Add(s, index);
        _ids.Add(s);
        return index;
    }

    public bool TryGetIndex(string id, out int index) => _map.TryGetValue(id, out index);

    public bool TryGetIndex(ReadOnlySpan<char> id, out int index) => _spanLookup.TryGetValue(id, out index);

    public int IndexOf(string id) => _map.TryGetValue(id, out var index) ? index : -1;
}
