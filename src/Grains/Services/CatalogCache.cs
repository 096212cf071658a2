using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Repeats;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Services;

/// <summary>
/// Per-silo read-only copy of the catalog, so user grains look up categories and prices without a
/// grain hop. Refreshed when the catalog grain's version moves.
/// </summary>
public sealed class CatalogCache(Microsoft.Extensions.Options.IOptions<Hosting.CohortlyOptions>? options = null)
{
    private readonly RepeatPolicyBook _repeats = options?.Value.Repeats.Book([]) ?? RepeatPolicyBook.NeverAgain;
    private volatile Snapshot _snapshot = new(-1, new Dictionary<string, ItemInfo>(StringComparer.Ordinal), false);
    private volatile UnavailableFlags? _unavailable;

    public long Version => _snapshot.Version;

    public int Count => _snapshot.Items.Count;

    public ItemInfo? Find(string itemId) => _snapshot.Items.GetValueOrDefault(itemId);

    public bool IsAvailable(string itemId) => Find(itemId)?.Available ?? true;

    // The lookups serving passes to the pipeline, made once: a method group converted per request allocated a
    // delegate each time on the per-user path (docs/benchmarks.md, "What a per-user call leaves behind").
    private Func<string, ItemInfo?>? _find;
    private Func<string, bool>? _isAvailable;
    private Func<string, IReadOnlyList<string>?>? _categoriesOf;
    private Func<string, RepeatPolicy>? _repeatPolicyOf;

    /// <summary><see cref="Find"/> as one shared delegate.</summary>
    public Func<string, ItemInfo?> FindLookup => _find ??= Find;

    /// <summary><see cref="IsAvailable"/> as one shared delegate.</summary>
    public Func<string, bool> AvailabilityLookup => _isAvailable ??= IsAvailable;

    /// <summary>The item's categories (null for an item the catalog does not know), as one shared delegate.</summary>
    public Func<string, IReadOnlyList<string>?> CategoriesLookup => _categoriesOf ??= CategoriesOf;

    private IReadOnlyList<string>? CategoriesOf(string itemId) => Find(itemId)?.Categories;

    /// <summary>
    /// The repeat policy lookup for serving — the item's own, else its category's, else the default — or null when no
    /// item can come back (every policy is <c>never</c>), so such a request pays nothing for buy-again.
    /// </summary>
    public Func<string, RepeatPolicy>? RepeatPolicies => _repeats.AllNever && !_snapshot.AnyOwnRepeat ? null : _repeatPolicyOf ??= RepeatPolicyOf;

    public RepeatPolicy RepeatPolicyOf(string itemId) =>
        Find(itemId) is { } item ? _repeats.Of(item.Repeat, item.Categories) : _repeats.Default;

    /// <summary>
    /// Which of the bundle's items the catalog has withdrawn, indexed like the bundle's item ids; kept until the catalog
    /// or the bundle changes, so serving reads a flag per candidate instead of looking every candidate up by id.
    /// </summary>
    public bool[] UnavailableIn(ModelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var snapshot = _snapshot;
        if (_unavailable is { } cached && ReferenceEquals(cached.Snapshot, snapshot) && ReferenceEquals(cached.Bundle, bundle))
        {
            return cached.Flags;
        }

        var flags = new bool[bundle.ItemIds.Count];
        foreach (var item in snapshot.Items.Values)
        {
            if (!item.Available && bundle.ItemIndex(item.Id) is { } i && i < flags.Length)
            {
                flags[i] = true;
            }
        }

        _unavailable = new UnavailableFlags(snapshot, bundle, flags);
        return flags;
    }

    public async Task RefreshAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var catalog = grains.GetGrain<ICatalogGrain>(ICatalogGrain.Key);
        var version = await catalog.GetVersion().WaitAsync(cancellationToken);
        if (version == _snapshot.Version)
        {
            return;
        }

        var full = await catalog.GetSnapshot().WaitAsync(cancellationToken);
        Load(full);
    }

    public void Load(CatalogSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var items = new Dictionary<string, ItemInfo>(snapshot.Items.Count, StringComparer.Ordinal);
        var anyRepeat = false;
        foreach (var item in snapshot.Items)
        {
            items[item.Id] = new ItemInfo(item.Id, item.Categories, item.Price, item.Available, item.Tags) { Repeat = item.Repeat };
            anyRepeat |= item.Repeat is RepeatPolicy.Interval or RepeatPolicy.Always;
        }

        _snapshot = new Snapshot(snapshot.Version, items, anyRepeat);
    }

    private sealed record Snapshot(long Version, Dictionary<string, ItemInfo> Items, bool AnyOwnRepeat);

    private sealed record UnavailableFlags(Snapshot Snapshot, ModelBundle Bundle, bool[] Flags);
}
