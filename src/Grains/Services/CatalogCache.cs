using System.Collections.Concurrent;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Repeats;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Services;

/// <summary>
/// Per-silo read-only copy of the catalog, so user grains look up categories and prices without a
/// grain hop. Refreshed when the catalog grain's version moves (the cache poll), and read through on a miss: an event
/// on an item this copy does not have waits for <see cref="SettleAsync"/>, so an item upserted before its events is
/// applied with its categories and price — as training, which reads the whole catalog, counts it.
/// </summary>
public sealed class CatalogCache(Microsoft.Extensions.Options.IOptions<Hosting.CohortlyOptions>? options = null, TimeProvider? time = null)
{
    /// <summary>
    /// Items remembered as absent per catalog version (the negative cache); when full it is emptied and fills again, so
    /// a stream of never-upserted ids costs bounded memory, and its misses cost bounded calls (<see cref="_reads"/>).
    /// </summary>
    internal const int MaxAbsent = 100_000;

    /// <summary>The read-through's version reads: at most one per Cohortly:CatalogReadThroughInterval, shared by every miss.</summary>
    private readonly CatalogVersionReads _reads = new(time ?? TimeProvider.System, options?.Value.CatalogReadThroughInterval ?? Hosting.CohortlyOptions.DefaultCatalogReadThroughInterval);

    private readonly RepeatPolicyBook _repeats = options?.Value.Repeats.Book([]) ?? RepeatPolicyBook.NeverAgain;
    private readonly Lock _gate = new();
    private volatile Snapshot _snapshot = new(-1, new Dictionary<string, ItemInfo>(StringComparer.Ordinal), false);
    private volatile UnavailableFlags? _unavailable;
    private Task? _loading;
    private long _loadingAtLeast = long.MinValue;

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
    /// Whether <see cref="Find"/> answers for <paramref name="itemId"/> as the catalog did after the item was asked
    /// about: this copy has it, or it was absent from a version loaded after a miss on it (<see cref="SettleAsync"/>).
    /// </summary>
    public bool IsSettled(string itemId)
    {
        var snapshot = _snapshot;
        return snapshot.Items.ContainsKey(itemId) || snapshot.Absent.ContainsKey(itemId);
    }

    /// <summary>
    /// Reads through a miss: the catalog grain's version is read after the miss, and this copy catches up with it when
    /// it is behind, so an item whose upsert was acknowledged before the event arrived is found. An item still absent
    /// is remembered as absent in that version (until the next one loads, or the absent set fills and starts over).
    /// The version read is one that started after the event was received (<paramref name="receivedAt"/>): the silo's last
    /// read when it did, else the next one it starts (<see cref="CatalogVersionReads"/>); concurrent misses share it, and
    /// reads are at least Cohortly:CatalogReadThroughInterval apart, so unknown ids cost the catalog grain at most one
    /// call per interval per silo however many there are. Loads of the same or a newer version are shared.
    /// </summary>
    public async Task SettleAsync(string itemId, DateTimeOffset receivedAt, IGrainFactory grains, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (IsSettled(itemId))
        {
            return;
        }

        var catalog = grains.GetGrain<ICatalogGrain>(ICatalogGrain.Key);
        var version = await _reads.NextAsync(receivedAt, catalog.GetVersion, cancellationToken);
        await LoadAtLeastAsync(catalog, version, cancellationToken);
        var snapshot = _snapshot;
        if (!snapshot.Items.ContainsKey(itemId))
        {
            if (snapshot.Absent.Count >= MaxAbsent)
            {
                snapshot.Absent.Clear();
            }

            snapshot.Absent.TryAdd(itemId, 0);
        }
    }

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

    /// <summary>Loads the catalog when its version (read now) is past this copy's; a load already started at or past it is joined.</summary>
    public async Task RefreshAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var catalog = grains.GetGrain<ICatalogGrain>(ICatalogGrain.Key);
        var version = await catalog.GetVersion().WaitAsync(cancellationToken);
        await LoadAtLeastAsync(catalog, version, cancellationToken);
    }

    private async Task LoadAtLeastAsync(ICatalogGrain catalog, long version, CancellationToken cancellationToken)
    {
        if (version <= _snapshot.Version)
        {
            return;
        }

        Task loading;
        lock (_gate)
        {
            // A load started after a version read of at least this one returns a snapshot at least this new.
            if (_loading is { IsCompleted: false } running && _loadingAtLeast >= version)
            {
                loading = running;
            }
            else
            {
                _loadingAtLeast = version;
                // On the thread pool: a load shared by many user grains must not run on (and die with) the turn of
                // the grain that happened to start it.
                loading = _loading = Task.Run(() => LoadFrom(catalog), CancellationToken.None);
            }
        }

        await loading.WaitAsync(cancellationToken);
    }

    private async Task LoadFrom(ICatalogGrain catalog) => Load(await catalog.GetSnapshot());

    /// <summary>Makes <paramref name="snapshot"/> this silo's copy unless a newer one is already loaded (loads may finish out of order).</summary>
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

        var loaded = new Snapshot(snapshot.Version, items, anyRepeat);
        lock (_gate)
        {
            if (snapshot.Version > _snapshot.Version)
            {
                _snapshot = loaded;
            }
        }
    }

    /// <param name="Absent">Ids a miss found absent in this version (at most <see cref="MaxAbsent"/>, emptied when full); a newer version starts empty.</param>
    private sealed record Snapshot(long Version, Dictionary<string, ItemInfo> Items, bool AnyOwnRepeat)
    {
        public ConcurrentDictionary<string, byte> Absent { get; } = new(StringComparer.Ordinal);
    }

    private sealed record UnavailableFlags(Snapshot Snapshot, ModelBundle Bundle, bool[] Flags);
}
