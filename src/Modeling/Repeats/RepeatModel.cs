using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Repeats;

/// <summary>Where a repeat interval came from.</summary>
public enum RepeatCycleSource
{
    /// <summary>No interval is known (an <see cref="RepeatPolicy.Always"/> item with no observed repeats).</summary>
    None = 0,

    /// <summary>The user's own gaps between purchases of the item, shrunk towards the catalog's interval.</summary>
    User = 1,

    /// <summary>The item's gaps over all users, shrunk towards its category's interval.</summary>
    Item = 2,

    /// <summary>The item has no repeats of its own: its category's interval (shrunk towards the global one).</summary>
    Category = 3,
}

/// <summary>One purchase of a known item newer than the model (from the live profile), for <see cref="RepeatModel.Due"/>.</summary>
public readonly record struct RecentPurchase(int Item, long TimestampMs);

/// <summary>A repeat item that is due for a buy-again slot, with what its reason says.</summary>
public readonly record struct DueItem(int Item, long LastPurchaseMs, double ElapsedDays, double IntervalDays, RepeatCycleSource Source, int Purchases);

/// <summary>
/// Learned repeat cycles and each user's repeat purchases, as training ships them in the bundle: per item the interval
/// between purchases of it (days; the median over the users who re-bought it of each one's median gap, shrunk on the log
/// scale towards its category's, which is shrunk towards the global one), and per user and purchased item the last purchase, how many purchases and, with
/// enough gaps of their own, the user's own interval (shrunk towards the item's). Pure; <see cref="Due"/> is the one
/// decision the serving pipeline and the offline evaluation both call.
/// </summary>
/// <remarks>
/// Why medians on the log scale: gaps are skewed (a missed week doubles one gap) and cycles are multiplicative (weekly
/// and monthly staples differ by a factor, not an offset), so a geometric compromise between an item's median and its
/// category's is the natural shrinkage; with <see cref="RepeatOptions.PriorRepeaters"/> re-buyers of its own an item sits
/// halfway.
/// </remarks>
public sealed class RepeatModel
{
    private const double MsPerDay = 86_400_000.0;
    private const int FormatVersion = 1;

    private readonly float[] _itemDays;
    private readonly int[] _itemRepeaters;
    private readonly int[] _userStart;
    private readonly int[] _items;
    private readonly long[] _last;
    private readonly int[] _counts;
    private readonly float[] _own;

    private RepeatModel(float[] itemDays, int[] itemRepeaters, Dictionary<string, float> categoryDays, float globalDays, int globalRepeaters, int[] userStart, int[] items, long[] last, int[] counts, float[] own, long sameVisitMs, double dueFraction, double lapseFactor)
    {
        _itemDays = itemDays;
        _itemRepeaters = itemRepeaters;
        CategoryIntervalDays = categoryDays;
        GlobalIntervalDays = globalDays;
        GlobalRepeaters = globalRepeaters;
        _userStart = userStart;
        _items = items;
        _last = last;
        _counts = counts;
        _own = own;
        SameVisitMs = sameVisitMs;
        DueFraction = dueFraction;
        LapseFactor = lapseFactor;
    }

    /// <summary>Per item (the bundle's index), its interval in days; NaN when neither it nor its category was ever re-bought.</summary>
    public IReadOnlyList<float> ItemIntervalDays => _itemDays;

    /// <summary>Per item, how many users' re-buying of it its interval rests on (0: its category's interval).</summary>
    public IReadOnlyList<int> ItemRepeaters => _itemRepeaters;

    /// <summary>Per category with observed repeats, its interval in days (shrunk towards the global one).</summary>
    public IReadOnlyDictionary<string, float> CategoryIntervalDays { get; }

    /// <summary>The median cycle over every re-bought (user, item) pair in the log, NaN when there was none.</summary>
    public float GlobalIntervalDays { get; }

    /// <summary>How many (user, item) pairs were re-bought.</summary>
    public int GlobalRepeaters { get; }

    public int UserCount => _userStart.Length - 1;

    public long SameVisitMs { get; }

    public double DueFraction { get; }

    public double LapseFactor { get; }

    /// <summary>A model with no repeats: nothing is ever due by interval (bundles written before repeat cycles).</summary>
    public static RepeatModel Empty(int users, int items, RepeatOptions? options = null)
    {
        options ??= new RepeatOptions();
        var days = new float[items];
        Array.Fill(days, float.NaN);
        return new RepeatModel(days, new int[items], new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase), float.NaN, 0, new int[users + 1], [], [], [], [], (long)options.SameVisit.TotalMilliseconds, options.DueFraction, options.LapseFactor);
    }

    /// <summary>
    /// Learns the cycles from purchase events (parallel arrays of user index, item index, unix ms; any order).
    /// <paramref name="itemCategory"/> gives each item's first category (null: none).
    /// </summary>
    public static RepeatModel Learn(ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<long> timestampsMs, int userCount, IReadOnlyList<string?> itemCategory, RepeatOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(itemCategory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (users.Length != items.Length || users.Length != timestampsMs.Length)
        {
            throw new ArgumentException("purchase arrays must have the same length");
        }

        var itemCount = itemCategory.Count;
        var order = new (int User, int Item, long Ms)[users.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = (users[i], items[i], timestampsMs[i]);
        }

        Array.Sort(order, static (a, b) => a.User != b.User ? a.User.CompareTo(b.User) : a.Item != b.Item ? a.Item.CompareTo(b.Item) : a.Ms.CompareTo(b.Ms));
        cancellationToken.ThrowIfCancellationRequested();

        var sameVisit = (long)options.SameVisit.TotalMilliseconds;
        // One cycle per (user, item) pair that was re-bought: the median of its gaps. Pairs, not gaps, are the unit, so
        // a fast re-buyer (more gaps in the same window) does not pull the catalog's interval towards their pace.
        var itemCycles = new List<float>?[itemCount];
        var allCycles = new List<float>();
        var userStart = new int[userCount + 1];
        var rowItems = new List<int>();
        var rowLast = new List<long>();
        var rowCounts = new List<int>();
        var rowGaps = new List<float[]>();
        var groupGaps = new List<float>();
        var r = 0;
        while (r < order.Length)
        {
            var (user, item, first) = order[r];
            groupGaps.Clear();
            var last = first;
            var count = 1;
            var end = r + 1;
            for (; end < order.Length && order[end].User == user && order[end].Item == item; end++)
            {
                if (order[end].Ms - last > sameVisit)
                {
                    groupGaps.Add((float)((order[end].Ms - last) / MsPerDay));
                    last = order[end].Ms;
                    count++;
                }
            }

            if (groupGaps.Count > 0 && (uint)item < (uint)itemCount)
            {
                var cycle = (float)Median(groupGaps);
                (itemCycles[item] ??= []).Add(cycle);
                allCycles.Add(cycle);
            }

            if ((uint)user < (uint)userCount)
            {
                userStart[user + 1]++;
                rowItems.Add(item);
                rowLast.Add(last);
                rowCounts.Add(count);
                rowGaps.Add([.. groupGaps]);
            }

            r = end;
        }

        // Global → category → item, each shrunk towards the level above on the log scale.
        var global = allCycles.Count > 0 ? (float)Median(allCycles) : float.NaN;
        var categoryCycles = new Dictionary<string, List<float>>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < itemCount; i++)
        {
            if (itemCycles[i] is { } cycles && itemCategory[i] is { Length: > 0 } category)
            {
                if (!categoryCycles.TryGetValue(category, out var list))
                {
                    categoryCycles[category] = list = [];
                }

                list.AddRange(cycles);
            }
        }

        var categoryDays = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase);
        foreach (var (category, cycles) in categoryCycles)
        {
            categoryDays[category] = (float)Shrink(Median(cycles), cycles.Count, global, options.PriorRepeaters);
        }

        var itemDays = new float[itemCount];
        var itemRepeaters = new int[itemCount];
        for (var i = 0; i < itemCount; i++)
        {
            var prior = itemCategory[i] is { Length: > 0 } c && categoryDays.TryGetValue(c, out var d) ? d : global;
            if (itemCycles[i] is { } cycles)
            {
                itemRepeaters[i] = cycles.Count;
                itemDays[i] = (float)Shrink(Median(cycles), cycles.Count, prior, options.PriorRepeaters);
            }
            else
            {
                // An item never re-bought takes its category's cycle, and nothing when its category has none: a durable in
                // a catalog whose groceries repeat must not inherit the groceries' week.
                itemDays[i] = itemCategory[i] is { Length: > 0 } c2 && categoryDays.TryGetValue(c2, out var cd) ? cd : float.NaN;
            }
        }

        for (var u = 0; u < userCount; u++)
        {
            userStart[u + 1] += userStart[u];
        }

        var own = new float[rowItems.Count];
        for (var k = 0; k < own.Length; k++)
        {
            var gaps = rowGaps[k];
            own[k] = gaps.Length >= options.MinUserGaps
                ? (float)Shrink(Median(gaps), gaps.Length, itemDays[rowItems[k]], options.UserPriorGaps)
                : float.NaN;
        }

        return new RepeatModel(itemDays, itemRepeaters, categoryDays, global, allCycles.Count, userStart, [.. rowItems], [.. rowLast], [.. rowCounts], own, sameVisit, options.DueFraction, options.LapseFactor);
    }

    /// <summary>
    /// The user's due repeat items, best first, at most <paramref name="slots"/>: from their purchases at training time
    /// (<paramref name="user"/>, −1 for a user the model does not know) and <paramref name="newer"/> purchases since.
    /// An <see cref="RepeatPolicy.Interval"/> item is due from <see cref="DueFraction"/> × its interval (the user's own
    /// when known, else the item's) until <see cref="LapseFactor"/> × it, closest to its cycle first; an
    /// <see cref="RepeatPolicy.Always"/> item is always eligible, with the due ones when its interval says so, else after
    /// them, most recently bought first. <paramref name="eligible"/> says whether an item may be served now
    /// (availability, the request's filters).
    /// </summary>
    public List<DueItem> Due(int user, ReadOnlySpan<RecentPurchase> newer, Func<int, RepeatPolicy> policyOf, Func<int, bool>? eligible, long nowMs, int slots)
    {
        ArgumentNullException.ThrowIfNull(policyOf);
        var due = new List<DueItem>(Math.Max(0, slots));
        if (slots <= 0)
        {
            return due;
        }

        var candidates = new List<(DueItem Item, int Bucket, double Key)>();
        var start = user >= 0 && user < UserCount ? _userStart[user] : 0;
        var end = user >= 0 && user < UserCount ? _userStart[user + 1] : 0;
        for (var k = start; k < end; k++)
        {
            var item = _items[k];
            var last = _last[k];
            var count = _counts[k];
            foreach (var p in newer)
            {
                if (p.Item == item && p.TimestampMs - last > SameVisitMs)
                {
                    last = p.TimestampMs;
                    count++;
                }
            }

            Consider(item, last, count, _own[k], policyOf, eligible, nowMs, candidates);
        }

        for (var n = 0; n < newer.Length; n++)
        {
            var item = newer[n].Item;
            if (Contains(start, end, item) || SeenBefore(newer, n))
            {
                continue;
            }

            // A first purchase since training: its latest time among the newer ones.
            var last = newer[n].TimestampMs;
            var count = 1;
            for (var m = n + 1; m < newer.Length; m++)
            {
                if (newer[m].Item == item && Math.Abs(newer[m].TimestampMs - last) > SameVisitMs)
                {
                    last = Math.Max(last, newer[m].TimestampMs);
                    count++;
                }
            }

            Consider(item, last, count, float.NaN, policyOf, eligible, nowMs, candidates);
        }

        candidates.Sort(static (a, b) => a.Bucket != b.Bucket ? a.Bucket.CompareTo(b.Bucket) : a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Item.Item.CompareTo(b.Item.Item));
        for (var c = 0; c < candidates.Count && due.Count < slots; c++)
        {
            due.Add(candidates[c].Item);
        }

        return due;
    }

    /// <summary>The user's purchases as the model holds them: (item, last purchase ms, purchases, own interval days or NaN).</summary>
    public IEnumerable<(int Item, long LastPurchaseMs, int Purchases, float OwnIntervalDays)> PurchasesOf(int user)
    {
        if (user < 0 || user >= UserCount)
        {
            yield break;
        }

        for (var k = _userStart[user]; k < _userStart[user + 1]; k++)
        {
            yield return (_items[k], _last[k], _counts[k], _own[k]);
        }
    }

    public void Write(BinaryWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.Write(FormatVersion);
        w.Write(SameVisitMs);
        w.Write(DueFraction);
        w.Write(LapseFactor);
        w.Write(GlobalIntervalDays);
        w.Write(GlobalRepeaters);
        w.Write(_itemDays.Length);
        BinaryArrays.Write(w, _itemDays);
        BinaryArrays.Write(w, _itemRepeaters);
        var categories = new List<string>(CategoryIntervalDays.Keys);
        categories.Sort(StringComparer.Ordinal);
        w.Write(categories.Count);
        foreach (var c in categories)
        {
            w.Write(c);
            w.Write(CategoryIntervalDays[c]);
        }

        w.Write(UserCount);
        BinaryArrays.Write(w, _userStart);
        w.Write(_items.Length);
        BinaryArrays.Write(w, _items);
        foreach (var t in _last)
        {
            w.Write(t);
        }

        BinaryArrays.Write(w, _counts);
        BinaryArrays.Write(w, _own);
    }

    public static RepeatModel Read(BinaryReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var format = r.ReadInt32();
        if (format != FormatVersion)
        {
            throw new InvalidDataException($"repeat cycles format {format} is not supported (expected {FormatVersion})");
        }

        var sameVisit = r.ReadInt64();
        var dueFraction = r.ReadDouble();
        var lapse = r.ReadDouble();
        var global = r.ReadSingle();
        var globalGaps = r.ReadInt32();
        var itemCount = Count(r);
        var itemDays = BinaryArrays.ReadSingle(r, itemCount);
        var itemGaps = BinaryArrays.ReadInt32(r, itemCount);
        var categoryCount = Count(r);
        var categories = new Dictionary<string, float>(categoryCount, StringComparer.OrdinalIgnoreCase);
        for (var c = 0; c < categoryCount; c++)
        {
            var name = r.ReadString();
            categories[name] = r.ReadSingle();
        }

        var users = Count(r);
        var userStart = BinaryArrays.ReadInt32(r, users + 1);
        var rows = Count(r);
        var items = BinaryArrays.ReadInt32(r, rows);
        var last = new long[rows];
        for (var k = 0; k < rows; k++)
        {
            last[k] = r.ReadInt64();
        }

        var counts = BinaryArrays.ReadInt32(r, rows);
        var own = BinaryArrays.ReadSingle(r, rows);
        if (userStart[0] != 0 || userStart[users] != rows)
        {
            throw new InvalidDataException("repeat cycles are corrupt (user rows disagree with the purchases)");
        }

        foreach (var item in items)
        {
            if ((uint)item >= (uint)itemCount)
            {
                throw new InvalidDataException("repeat cycles are corrupt (an item index is out of range)");
            }
        }

        return new RepeatModel(itemDays, itemGaps, categories, global, globalGaps, userStart, items, last, counts, own, sameVisit, dueFraction, lapse);
    }

    private static int Count(BinaryReader r)
    {
        var n = r.ReadInt32();
        return n >= 0 ? n : throw new InvalidDataException("repeat cycles are corrupt (negative count)");
    }

    private void Consider(int item, long last, int count, float own, Func<int, RepeatPolicy> policyOf, Func<int, bool>? eligible, long nowMs, List<(DueItem, int, double)> into)
    {
        var policy = policyOf(item);
        if (policy == RepeatPolicy.Never || (eligible is not null && !eligible(item)))
        {
            return;
        }

        var elapsed = Math.Max(0, (nowMs - last) / MsPerDay);
        var itemDays = (uint)item < (uint)_itemDays.Length ? _itemDays[item] : float.NaN;
        var (interval, source) = !float.IsNaN(own) ? ((double)own, RepeatCycleSource.User)
            : !float.IsNaN(itemDays) ? ((double)itemDays, _itemRepeaters[item] > 0 ? RepeatCycleSource.Item : RepeatCycleSource.Category)
            : (double.NaN, RepeatCycleSource.None);
        var inCycle = !double.IsNaN(interval) && interval > 0 && elapsed >= DueFraction * interval && elapsed <= LapseFactor * interval;
        var entry = new DueItem(item, last, elapsed, interval, source, count);
        if (inCycle)
        {
            // Closest to its own cycle first, whether a little early or a little late.
            into.Add((entry, 0, Math.Abs(Math.Log(Math.Max(elapsed, 1e-3) / interval))));
        }
        else if (policy == RepeatPolicy.Always)
        {
            into.Add((entry, 1, elapsed));
        }
    }

    private bool Contains(int start, int end, int item)
    {
        for (var k = start; k < end; k++)
        {
            if (_items[k] == item)
            {
                return true;
            }
        }

        return false;
    }

    private static bool SeenBefore(ReadOnlySpan<RecentPurchase> newer, int n)
    {
        for (var m = 0; m < n; m++)
        {
            if (newer[m].Item == newer[n].Item)
            {
                return true;
            }
        }

        return false;
    }

    private static double Shrink(double median, int n, double prior, double strength) =>
        double.IsNaN(prior) || prior <= 0 || strength <= 0
            ? median
            : Math.Exp(((n * Math.Log(Math.Max(median, 1e-3))) + (strength * Math.Log(prior))) / (n + strength));

    private static double Median(IReadOnlyList<float> values)
    {
        var sorted = new float[values.Count];
        for (var i = 0; i < sorted.Length; i++)
        {
            sorted[i] = values[i];
        }

        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }
}
