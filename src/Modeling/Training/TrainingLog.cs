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
        // for everyone: they are left out and counted.
        var kept = new List<Interaction>(input.Events.Count);
        foreach (var e in input.Events)
        {
            if (IsUsable(e))
            {
                kept.Add(e);
            }
        }

        var skipped = input.Events.Count - kept.Count;
        var events = kept.ToArray();

        Array.Sort(events, CompareEvents);
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

        var eventUsers = new int[events.Length];
        var eventItems = new int[events.Length];
        for (var k = 0; k < events.Length; k++)
        {
            eventUsers[k] = userIndex.IndexOf(events[k].UserId);
            eventItems[k] = itemIndex.IndexOf(events[k].ItemId);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var positives = LatestPositives(events, eventUsers, eventItems, itemIds.Length, options.PositiveRating, out var pairTimes);
        var dataCatalog = new DatasetCatalog(userIndex, itemIndex, metadata);
        var n = positives.Length;
        var pu = new int[n];
        var pi = new int[n];
        var values = new float[n];
        var times = new long[n];
        for (var r = 0; r < n; r++)
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

    // Keys user·items + item of the pairs whose latest signal is positive, ascending (so by user, then item).
    private static long[] LatestPositives(Interaction[] events, int[] eventUsers, int[] eventItems, int itemCount, double positiveRating, out long[] times)
    {
        var latest = new Dictionary<long, (bool Positive, long Time)>();
        for (var k = 0; k < events.Length; k++)
        {
            if (Signal(events[k], positiveRating) is { } positive)
            {
                latest[((long)eventUsers[k] * itemCount) + eventItems[k]] = (positive, events[k].TimestampMs);
            }
        }

        var keys = new List<long>(latest.Count);
        foreach (var (key, value) in latest)
        {
            if (value.Positive)
            {
                keys.Add(key);
            }
        }

        var result = keys.ToArray();
        Array.Sort(result);
        times = new long[result.Length];
        for (var r = 0; r < result.Length; r++)
        {
            times[r] = latest[result[r]].Time;
        }

        return result;
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
