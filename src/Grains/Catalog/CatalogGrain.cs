using Cohortly.Contracts;

namespace Cohortly.Grains.Catalog;

public sealed class CatalogState
{
    public long Version { get; set; }

    public Dictionary<string, ItemRecord> Items { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Item metadata. Writes are rare (catalog syncs), reads are served from per-silo caches that
/// follow <see cref="GetVersion"/>, so this single grain is never on the event or request path.
/// </summary>
public sealed class CatalogGrain(
    [PersistentState("catalog", StreamNames.Storage)] IPersistentState<CatalogState> state) : Grain, ICatalogGrain
{
    private CatalogSnapshot? _snapshot;

    public async Task<long> Upsert(IReadOnlyList<ItemRecord> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            state.State.Items[item.Id] = item;
        }

        state.State.Version++;
        _snapshot = null;
        await state.WriteStateAsync();
        return state.State.Version;
    }

    public Task<ItemRecord?> Get(string itemId) => Task.FromResult(state.State.Items.GetValueOrDefault(itemId));

    public Task<long> GetVersion() => Task.FromResult(state.State.Version);

    public Task<CatalogSnapshot> GetSnapshot() =>
        Task.FromResult(_snapshot ??= new CatalogSnapshot(state.State.Version, [.. state.State.Items.Values]));
}
