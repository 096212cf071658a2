using System.Collections;
using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Modeling.Data;

/// <summary>
/// A seeded synthetic training log of any size that is never stored: event k is computed from (seed, k) on every
/// read, so a 20-million-event log costs only its id strings (one per user and item, shared by every event). Users
/// fall into planted groups, each group prefers its own block of items (with a popularity skew inside the block),
/// and event times grow with k over <see cref="Span"/>, as a log read back in arrival order does.
/// </summary>
public sealed class SyntheticTrainingLog : IReadOnlyList<Interaction>
{
    private static readonly string[] Devices = ["mobile", "desktop", "tablet"];
    private readonly string[] _userIds;
    private readonly string[] _itemIds;
    private readonly ulong _seed;
    private readonly int _groups;
    private readonly long _startMs;
    private readonly long _spanMs;

    public SyntheticTrainingLog(int users, int items, int interactions, int seed, DateTimeOffset end, int groups = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(items, groups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interactions);
        _userIds = new string[users];
        for (var u = 0; u < users; u++)
        {
            _userIds[u] = string.Create(CultureInfo.InvariantCulture, $"u{u:D7}");
        }

        _itemIds = new string[items];
        for (var i = 0; i < items; i++)
        {
            _itemIds[i] = string.Create(CultureInfo.InvariantCulture, $"i{i:D6}");
        }

        _seed = (ulong)seed;
        _groups = groups;
        Count = interactions;
        _spanMs = (long)Span.TotalMilliseconds;
        _startMs = end.ToUnixTimeMilliseconds() - _spanMs;
    }

    /// <summary>The time the events spread over, ending at the constructor's end.</summary>
    public static TimeSpan Span { get; } = TimeSpan.FromDays(30);

    public int Count { get; }

    public int Users => _userIds.Length;

    public int Items => _itemIds.Length;

    public int Groups => _groups;

    public Interaction this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return Generate(index);
        }
    }

    /// <summary>The catalog: every item with its block as category and a price, as the catalog grain would hold it.</summary>
    public ItemInfo[] Catalog()
    {
        var catalog = new ItemInfo[_itemIds.Length];
        var blockSize = _itemIds.Length / _groups;
        for (var i = 0; i < catalog.Length; i++)
        {
            var block = Math.Min(_groups - 1, i / blockSize);
            catalog[i] = new ItemInfo(_itemIds[i], [string.Create(CultureInfo.InvariantCulture, $"c{block}")], 5 + (i % 95));
        }

        return catalog;
    }

    /// <summary>The planted group of a user index.</summary>
    public int GroupOf(int user) => user % _groups;

    public IEnumerator<Interaction> GetEnumerator()
    {
        for (var k = 0; k < Count; k++)
        {
            yield return Generate(k);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Interaction Generate(int k)
    {
        var h1 = Mix(_seed ^ ((ulong)k * 0x9E3779B97F4A7C15UL));
        var h2 = Mix(h1 ^ 0xD1B54A32D192ED03UL);
        // Activity skew: a squared uniform puts more events on low user indices (the heavy users).
        var ru = Unit(h1);
        var user = (int)Math.Min(_userIds.Length - 1, (long)(ru * ru * _userIds.Length));
        var group = GroupOf(user);
        var blockSize = _itemIds.Length / _groups;
        var pick = Unit(h2);
        var skew = pick * pick * pick; // popularity inside a block or the catalog
        int item;
        if ((h1 >> 60) < 13)
        {
            // ~80% from the user's own block.
            item = (group * blockSize) + (int)(skew * blockSize);
        }
        else
        {
            item = (int)(skew * _itemIds.Length);
        }

        item = Math.Min(_itemIds.Length - 1, item);
        var roll = (int)((h2 >> 56) % 100);
        var type = roll switch
        {
            < 60 => InteractionType.View,
            < 85 => InteractionType.Click,
            < 93 => InteractionType.AddToCart,
            < 97 => InteractionType.Purchase,
            _ => InteractionType.Dismiss,
        };
        var time = _startMs + (long)((double)k / Count * _spanMs);
        return new Interaction(_userIds[user], _itemIds[item], type, null, time, Devices[user % Devices.Length]);
    }

    private static double Unit(ulong h) => (h >> 11) * (1.0 / (1UL << 53));

    // SplitMix64's finaliser: a seeded counter-based stream, so any event is computed without the ones before it.
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
