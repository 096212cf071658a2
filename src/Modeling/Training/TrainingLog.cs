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
internal sealed class TrainingLog
{
    private TrainingLog(
        Interaction[] events,
        int[] eventUsers,
        int[] eventItems,
        string[] userIds,
        string[] itemIds,
        ItemInfo[] itemInfos,
        ItemMetadata[] metadata,
        InteractionDataset positives,
        long skipped)
    {
        Skipped = skipped;
        Events = events;
        EventUsers = eventUsers;
        EventItems = eventItems;
        UserIds = userIds;
        ItemIds = itemIds;
        ItemInfos = itemInfos;
        Metadata = metadata;
        Positives = positives;
    }

    public Interaction[] Events { get; }

    public int[] EventUsers { get; }

    public int[] EventItems { get; }

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

    /// <summary>Whether an event says the user wants the item; null when it says nothing either way.</summary>
    public static bool? Signal(in Interaction e, double positiveRating) => EventTypes.Of(e.Type).IsPositive(e.Value, positiveRating);

    public static TrainingLog Read(TrainingInput input, TrainingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(input.Events);
        ArgumentNullException.ThrowIfNull(input.Catalog);
        // One user's bad rows (written before the edge bounded them, or by a buggy producer) must not fail the run
        // for everyone: they are left out and counted. Counted first so the kept events take one exact array (at 20M
        // events a growing list and its copy held 2.5 GB at once).
        var count = 0;
        foreach (var e in input.Events)
        {
            if (IsUsable(e))
            {
                count++;
            }
        }

        var events = new Interaction[count];
        var n = 0;
        foreach (var e in input.Events)
        {
            if (IsUsable(e) && n < count)
            {
                events[n++] = e;
            }
        }

        if (n != count)
        {
            throw new InvalidOperationException("the training events changed while they were read");
        }

        var skipped = input.Events.Count - events.Length;
        cancellationToken.ThrowIfCancellationRequested();

        var users = new HashSet<string>(StringComparer.Ordinal);
        var catalog = new Dictionary<string, ItemInfo>(StringComparer.Ordinal);
        foreach (var info in input.Catalog)
        {
            if (!string.IsNullOrEmpty(info?.Id))
            {
                catalog[info.Id] = info;
            }
        }

        var items = new HashSet<string>(catalog.Keys, StringComparer.Ordinal);
        foreach (var e in events)
        {
            users.Add(e.UserId);
            items.Add(e.ItemId);
        }

        var userIds = new string[users.Count];
        users.CopyTo(userIds);
        Array.Sort(userIds, StringComparer.Ordinal);
        var itemIds = new string[items.Count];
        items.CopyTo(itemIds);
        Array.Sort(itemIds, StringComparer.Ordinal);
        var userIndex = new IdIndex(userIds);
        var itemIndex = new IdIndex(itemIds);
        var (eventUsers, eventItems) = SortEvents(events, userIndex, itemIndex);
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
        var positives = LatestPositives(events, eventUsers, eventItems, userIds.Length, itemIds.Length, options.PositiveRating, out var pairTimes);
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

        return new TrainingLog(events, eventUsers, eventItems, userIds, itemIds, infos, metadata, new InteractionDataset(dataCatalog, pu, pi, values, times), skipped);
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

        for (var k = 0; k < Events.Length; k++)
        {
            if ((k & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            profiles[EventUsers[k]].Apply(Events[k], ItemInfos[EventItems[k]], options);
        }

        return profiles;
    }

    /// <summary>
    /// Sorts the events into the canonical order (time, user, item, type, value, device) and returns each sorted
    /// event's user and item index. Users and items compare by index, which is their ordinal id order, so strings are
    /// compared only between events equal in time, user and item; the events move once, in place, along the
    /// permutation's cycles (a sorted copy would hold a second 1.3 GB at 20M events).
    /// </summary>
    private static (int[] Users, int[] Items) SortEvents(Interaction[] events, IdIndex userIndex, IdIndex itemIndex)
    {
        var keys = new EventKey[events.Length];
        for (var k = 0; k < events.Length; k++)
        {
            keys[k] = new EventKey(events[k].TimestampMs, userIndex.IndexOf(events[k].UserId), itemIndex.IndexOf(events[k].ItemId), k);
        }

        keys.AsSpan().Sort(new EventKeyComparer(events));
        var eventUsers = new int[events.Length];
        var eventItems = new int[events.Length];
        var placed = new bool[events.Length];
        for (var k = 0; k < keys.Length; k++)
        {
            eventUsers[k] = keys[k].User;
            eventItems[k] = keys[k].Item;
            if (placed[k])
            {
                continue;
            }

            // Position j takes the event from keys[j].Original; the cycle closes when that is where it started.
            var first = events[k];
            var j = k;
            while (true)
            {
                placed[j] = true;
                var source = keys[j].Original;
                if (source == k)
                {
                    events[j] = first;
                    break;
                }

                events[j] = events[source];
                j = source;
            }
        }

        return (eventUsers, eventItems);
    }

    // Keys user·items + item of the pairs whose latest signal is positive, ascending (so by user, then item). Events are
    // in time order; grouped by user (a stable counting sort) each user's pairs need only per-item slots, not a
    // dictionary over every pair of the log.
    private static long[] LatestPositives(Interaction[] events, int[] eventUsers, int[] eventItems, int userCount, int itemCount, double positiveRating, out long[] times)
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

        var order = new int[events.Length];
        var next = start[..userCount];
        for (var k = 0; k < events.Length; k++)
        {
            order[next[eventUsers[k]]++] = k;
        }

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
                if (Signal(events[k], positiveRating) is { } signal)
                {
                    var i = eventItems[k];
                    if (owner[i] != u)
                    {
                        owner[i] = u;
                        touched.Add(i);
                    }

                    positive[i] = signal;
                    latest[i] = events[k].TimestampMs;
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

    private readonly record struct EventKey(long Time, int User, int Item, int Original);

    /// <summary>The canonical order on keys; events equal in all six fields keep their input order.</summary>
    private readonly struct EventKeyComparer(Interaction[] events) : IComparer<EventKey>
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

            c = CompareEvents(events[a.Original], events[b.Original]);
            return c != 0 ? c : a.Original.CompareTo(b.Original);
        }
    }

    private static int CompareEvents(Interaction a, Interaction b)
    {
        var c = a.TimestampMs.CompareTo(b.TimestampMs);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(a.UserId, b.UserId);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(a.ItemId, b.ItemId);
        if (c != 0)
        {
            return c;
        }

        c = a.Type.CompareTo(b.Type);
        if (c != 0)
        {
            return c;
        }

        c = Nullable.Compare(a.Value, b.Value);
        return c != 0 ? c : string.CompareOrdinal(a.Device, b.Device);
    }
}
