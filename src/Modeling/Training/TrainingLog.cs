using Cohortly.Contracts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Training;

/// <summary>A run cannot train on what it was given (too few users, no positive interactions); the message says why.</summary>
public sealed class InsufficientTrainingDataException(string message) : InvalidOperationException(message);

/// <summary>
/// The training log in a canonical form: events sorted by (time, user, item, type, value, device), users and items in
/// ordinal id order, so the same set of events in any order gives the same indices and the same model. Items are the
/// union of the catalog and the items seen in events. <see cref="Positives"/> holds one row per (user, item) whose
/// latest signal was positive, sorted by user then item.
/// </summary>
/// <remarks>
/// The events are held as columns (user and item index, time, type, value, device index, context), about 30 bytes an
/// event, not as <see cref="Interaction"/> values (64 bytes each, plus the copy the sort needed): at 20M events the
/// log was 1.3 GB of structs before any model was fitted. <see cref="Event"/> rebuilds one event on demand, with the
/// log's own id strings. <see cref="ByUser"/> is each user's events in time order, built once and shared by the
/// stages that replay profiles one user at a time.
/// </remarks>
internal sealed class TrainingLog
{
    private byte[] _types;
    private double[]? _values; // NaN where the event has no value (usable values are finite); null when none has one
    private int[] _devices; // index into _deviceNames, -1 for none
    private string[] _deviceNames;
    private IReadOnlyDictionary<string, string>?[]? _contexts; // null when no event carries a context
    private (int[] Start, int[] Order)? _byUser;

    private TrainingLog(
        EventColumns columns,
        string[] userIds,
        string[] itemIds,
        ItemInfo[] itemInfos,
        ItemMetadata[] metadata,
        InteractionDataset positives,
        long skipped)
    {
        Skipped = skipped;
        EventUsers = columns.Users;
        EventItems = columns.Items;
        EventTimes = columns.Times;
        _types = columns.Types;
        _values = columns.Values;
        _devices = columns.Devices;
        _deviceNames = columns.DeviceNames;
        _contexts = columns.Contexts;
        UserIds = userIds;
        ItemIds = itemIds;
        ItemInfos = itemInfos;
        Metadata = metadata;
        Positives = positives;
    }

    /// <summary>Number of events kept (usable ones), in canonical order.</summary>
    public int EventCount => EventUsers.Length;

    public int[] EventUsers { get; private set; }

    public int[] EventItems { get; private set; }

    /// <summary>Event times in unix milliseconds, ascending.</summary>
    public long[] EventTimes { get; private set; }

    public string[] UserIds { get; }

    public string[] ItemIds { get; }

    public ItemInfo[] ItemInfos { get; }

    public ItemMetadata[] Metadata { get; }

    public InteractionDataset Positives { get; }

    /// <summary>Rows of the input left out because they break <see cref="InteractionBounds"/> (see <see cref="IsUsable"/>).</summary>
    public long Skipped { get; }

    public DatasetCatalog Catalog => Positives.Catalog;

    public bool HasContent
    {
        get
        {
            foreach (var m in Metadata)
            {
                if (m.Categories.Count > 0 || m.Tags.Count > 0 || m.Title.Length > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Each user's events in time (canonical) order: user u's are <c>Order[Start[u]..Start[u + 1]]</c>, indices into
    /// the event columns. Built on first use (a stable counting sort) and kept: 4 bytes an event.
    /// </summary>
    public (int[] Start, int[] Order) ByUser => _byUser ??= GroupByUser(EventUsers, UserIds.Length);

    public InteractionType Type(int k) => (InteractionType)_types[k];

    public double? Value(int k) => _values is { } v && !double.IsNaN(v[k]) ? v[k] : null;

    public string? Device(int k) => _devices[k] is var d && d >= 0 ? _deviceNames[d] : null;

    public IReadOnlyDictionary<string, string>? Context(int k) => _contexts?[k];

    /// <summary>Event <paramref name="k"/> (canonical order) as the pipeline's consumers take it, with the log's id strings.</summary>
    public Interaction Event(int k) => new(UserIds[EventUsers[k]], ItemIds[EventItems[k]], Type(k), Value(k), EventTimes[k], Device(k), Context(k));

    /// <summary>
    /// Drops the event columns (and <see cref="ByUser"/>), keeping ids, items and <see cref="Positives"/>: the pipeline
    /// calls it once every stage that reads events has run, so the refit does not stand on them (about 30 bytes an
    /// event). The log then has no events.
    /// </summary>
    public void ReleaseEvents()
    {
        EventUsers = [];
        EventItems = [];
        EventTimes = [];
        _types = [];
        _values = null;
        _devices = [];
        _deviceNames = [];
        _contexts = null;
        _byUser = null;
    }

    /// <summary>Whether an event says the user wants the item; null when it says nothing either way.</summary>
    public static bool? Signal(in Interaction e, double positiveRating) => EventTypes.Of(e.Type).IsPositive(e.Value, positiveRating);

    public static TrainingLog Read(TrainingInput input, TrainingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(input.Events);
        ArgumentNullException.ThrowIfNull(input.Catalog);
        var catalog = new Dictionary<string, ItemInfo>(StringComparer.Ordinal);
        foreach (var info in input.Catalog)
        {
            if (!string.IsNullOrEmpty(info?.Id))
            {
                catalog[info.Id] = info;
            }
        }

        // One user's bad rows (written before the edge bounded them, or by a buggy producer) must not fail the run
        // for everyone: they are left out and counted. The first pass counts the kept events and collects the ids, so
        // the second writes each column once at its exact size; the input's events are never copied.
        var count = 0;
        var users = new HashSet<string>(StringComparer.Ordinal);
        var items = new HashSet<string>(catalog.Keys, StringComparer.Ordinal);
        foreach (var e in input.Events)
        {
            if (IsUsable(e))
            {
                count++;
                users.Add(e.UserId);
                items.Add(e.ItemId);
            }
        }

        var skipped = input.Events.Count - count;
        cancellationToken.ThrowIfCancellationRequested();
        var userIds = new string[users.Count];
        users.CopyTo(userIds);
        Array.Sort(userIds, StringComparer.Ordinal);
        users = null;
        var itemIds = new string[items.Count];
        items.CopyTo(itemIds);
        Array.Sort(itemIds, StringComparer.Ordinal);
        items = null;
        var userIndex = new IdIndex(userIds);
        var itemIndex = new IdIndex(itemIds);
        var columns = SortedColumns(input.Events, count, userIndex, itemIndex, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var infos = new ItemInfo[itemIds.Length];
        var metadata = new ItemMetadata[itemIds.Length];
        for (var i = 0; i < itemIds.Length; i++)
        {
            if (catalog.TryGetValue(itemIds[i], out var info))
            {
                infos[i] = info;
                metadata[i] = info.Categories is { Count: > 0 } categories ? new ItemMetadata(string.Empty, [.. categories], []) : ItemMetadata.Empty;
            }
            else
            {
                infos[i] = new ItemInfo(itemIds[i], [], null);
                metadata[i] = ItemMetadata.Empty;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var byUser = GroupByUser(columns.Users, userIds.Length);
        var positives = LatestPositives(columns, byUser, userIds.Length, itemIds.Length, options.PositiveRating, out var pairTimes);
        var dataCatalog = new DatasetCatalog(userIndex, itemIndex, metadata);
        var pairs = positives.Length;
        var pu = new int[pairs];
        var pi = new int[pairs];
        var values = new float[pairs];
        var times = new long[pairs];
        for (var r = 0; r < pairs; r++)
        {
            pu[r] = (int)(positives[r] / itemIds.Length);
            pi[r] = (int)(positives[r] % itemIds.Length);
            values[r] = 1;
            times[r] = pairTimes[r] / 1000; // data sets keep unix seconds
        }

        return new TrainingLog(columns, userIds, itemIds, infos, metadata, new InteractionDataset(dataCatalog, pu, pi, values, times), skipped) { _byUser = byUser };
    }

    /// <summary>
    /// Whether a log row can be trained on: both ids present, a known type, a value within <see cref="InteractionBounds"/>
    /// and a time not before 1970 (the gateway's window; the log's retention bounds it from above).
    /// </summary>
    public static bool IsUsable(in Interaction e) =>
        !string.IsNullOrEmpty(e.UserId)
        && !string.IsNullOrEmpty(e.ItemId)
        && (uint)e.Type < InteractionTypes.Count
        && e.TimestampMs >= 0
        && InteractionBounds.CheckValue(e.Type, e.Value) is null;

    /// <summary>Profiles replayed through <see cref="UserProfile.Apply"/> in time order, as the user grains build them.</summary>
    public UserProfile[] ReplayProfiles(ProfileOptions options, CancellationToken cancellationToken)
    {
        var profiles = new UserProfile[UserIds.Length];
        for (var u = 0; u < profiles.Length; u++)
        {
            profiles[u] = new UserProfile();
        }

        for (var k = 0; k < EventCount; k++)
        {
            if ((k & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            profiles[EventUsers[k]].Apply(Event(k), ItemInfos[EventItems[k]], options);
        }

        return profiles;
    }

    /// <summary>
    /// Replays one user's profile at a time (<see cref="ByUser"/>: the user's events in the same order as
    /// <see cref="ReplayProfiles"/> applies them, so each profile ends the same) and hands it to
    /// <paramref name="visit"/> before the next user's: a run holds one profile, not one per user (a replayed profile
    /// is about 2 KB; 2 GB at a million users).
    /// </summary>
    public void ForEachProfile(ProfileOptions options, Action<int, UserProfile> visit, CancellationToken cancellationToken)
    {
        var (start, order) = ByUser;
        for (var u = 0; u < UserIds.Length; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var profile = new UserProfile();
            for (var x = start[u]; x < start[u + 1]; x++)
            {
                var k = order[x];
                profile.Apply(Event(k), ItemInfos[EventItems[k]], options);
            }

            visit(u, profile);
        }
    }

    /// <summary>
    /// The usable events of <paramref name="events"/> as columns in the canonical order (time, user, item, type, value,
    /// device; events equal in all six keep their input order). Users and items compare by index, which is their
    /// ordinal id order, and devices by their strings; the sort moves 24-byte keys, and each column is written once in
    /// the sorted order.
    /// </summary>
    private static EventColumns SortedColumns(IReadOnlyList<Interaction> events, int count, IdIndex userIndex, IdIndex itemIndex, CancellationToken cancellationToken)
    {
        var keys = new EventKey[count];
        var types = new byte[count];
        double[]? values = null;
        var devices = new int[count];
        var deviceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var deviceNames = new List<string>();
        IReadOnlyDictionary<string, string>?[]? contexts = null;
        var n = 0;
        foreach (var e in events)
        {
            if (!IsUsable(e))
            {
                continue;
            }

            if (n == count)
            {
                throw new InvalidOperationException("the training events changed while they were read");
            }

            keys[n] = new EventKey(e.TimestampMs, userIndex.IndexOf(e.UserId), itemIndex.IndexOf(e.ItemId), n);
            types[n] = (byte)e.Type;
            if (e.Value is { } value)
            {
                if (values is null)
                {
                    values = new double[count];
                    Array.Fill(values, double.NaN);
                }

                values[n] = value;
            }

            if (e.Device is { } device)
            {
                if (!deviceIndex.TryGetValue(device, out var d))
                {
                    d = deviceNames.Count;
                    deviceIndex[device] = d;
                    deviceNames.Add(device);
                }

                devices[n] = d;
            }
            else
            {
                devices[n] = -1;
            }

            if (e.Context is { } context)
            {
                (contexts ??= new IReadOnlyDictionary<string, string>?[count])[n] = context;
            }

            n++;
        }

        if (n != count)
        {
            throw new InvalidOperationException("the training events changed while they were read");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var names = deviceNames.ToArray();
        keys.AsSpan().Sort(new EventKeyComparer(types, values, devices, names));
        var sorted = new EventColumns(new int[count], new int[count], new long[count], new byte[count], values is null ? null : new double[count], new int[count], names, contexts is null ? null : new IReadOnlyDictionary<string, string>?[count]);
        for (var k = 0; k < count; k++)
        {
            var key = keys[k];
            var o = key.Original;
            sorted.Users[k] = key.User;
            sorted.Items[k] = key.Item;
            sorted.Times[k] = key.Time;
            sorted.Types[k] = types[o];
            sorted.Devices[k] = devices[o];
            if (values is not null)
            {
                sorted.Values![k] = values[o];
            }

            if (contexts is not null)
            {
                sorted.Contexts![k] = contexts[o];
            }
        }

        return sorted;
    }

    private static (int[] Start, int[] Order) GroupByUser(int[] eventUsers, int userCount)
    {
        var start = new int[userCount + 1];
        foreach (var u in eventUsers)
        {
            start[u + 1]++;
        }

        for (var u = 0; u < userCount; u++)
        {
            start[u + 1] += start[u];
        }

        var order = new int[eventUsers.Length];
        var next = start[..userCount];
        for (var k = 0; k < eventUsers.Length; k++)
        {
            order[next[eventUsers[k]]++] = k;
        }

        return (start, order);
    }

    // Keys user·items + item of the pairs whose latest signal is positive, ascending (so by user, then item). Events are
    // in time order; grouped by user (a stable counting sort) each user's pairs need only per-item slots, not a
    // dictionary over every pair of the log.
    private static long[] LatestPositives(EventColumns events, (int[] Start, int[] Order) byUser, int userCount, int itemCount, double positiveRating, out long[] times)
    {
        var (start, order) = byUser;
        var owner = new int[itemCount];
        Array.Fill(owner, -1);
        var positive = new bool[itemCount];
        var latest = new long[itemCount];
        var touched = new List<int>();
        var keys = new List<long>();
        var keyTimes = new List<long>();
        for (var u = 0; u < userCount; u++)
        {
            touched.Clear();
            for (var x = start[u]; x < start[u + 1]; x++)
            {
                var k = order[x];
                var value = events.Values is { } v && !double.IsNaN(v[k]) ? v[k] : (double?)null;
                if (EventTypes.Of((InteractionType)events.Types[k]).IsPositive(value, positiveRating) is { } signal)
                {
                    var i = events.Items[k];
                    if (owner[i] != u)
                    {
                        owner[i] = u;
                        touched.Add(i);
                    }

                    positive[i] = signal;
                    latest[i] = events.Times[k];
                }
            }

            touched.Sort();
            foreach (var i in touched)
            {
                if (positive[i])
                {
                    keys.Add(((long)u * itemCount) + i);
                    keyTimes.Add(latest[i]);
                }
            }
        }

        times = keyTimes.ToArray();
        return keys.ToArray();
    }

    /// <summary>The log's events as columns: index k of every array is event k.</summary>
    private sealed record EventColumns(int[] Users, int[] Items, long[] Times, byte[] Types, double[]? Values, int[] Devices, string[] DeviceNames, IReadOnlyDictionary<string, string>?[]? Contexts);

    private readonly record struct EventKey(long Time, int User, int Item, int Original);

    /// <summary>
    /// The canonical order on keys: time, user and item by index, then type, value (none first) and device (ordinal,
    /// none first) of the events in input order; events equal in all six fields keep their input order.
    /// </summary>
    private readonly struct EventKeyComparer(byte[] types, double[]? values, int[] devices, string[] deviceNames) : IComparer<EventKey>
    {
        public int Compare(EventKey a, EventKey b)
        {
            var c = a.Time.CompareTo(b.Time);
            if (c != 0)
            {
                return c;
            }

            c = a.User.CompareTo(b.User);
            if (c != 0)
            {
                return c;
            }

            c = a.Item.CompareTo(b.Item);
            if (c != 0)
            {
                return c;
            }

            var x = a.Original;
            var y = b.Original;
            c = types[x].CompareTo(types[y]);
            if (c != 0)
            {
                return c;
            }

            if (values is not null)
            {
                c = Nullable.Compare(ValueAt(values, x), ValueAt(values, y));
                if (c != 0)
                {
                    return c;
                }
            }

            c = string.CompareOrdinal(devices[x] >= 0 ? deviceNames[devices[x]] : null, devices[y] >= 0 ? deviceNames[devices[y]] : null);
            return c != 0 ? c : x.CompareTo(y);
        }

        private static double? ValueAt(double[] values, int k) => double.IsNaN(values[k]) ? null : values[k];
    }
}
