using System.Text.Json.Serialization;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Modeling.Features;

/// <summary>
/// A remembered item with the strongest interaction seen for it. A struct: stored inline in the
/// profile's list, so 20 recent items are one array instead of 20 more objects per resident user.
/// <see cref="Value"/> is written to storage only when set (ratings): a missing value reads back as 0.
/// </summary>
public readonly record struct RecentItem(string ItemId, InteractionType Type, long TimestampMs, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] float Value = 0);

/// <summary>
/// The live profile of one user: RFM, sessions, decayed category affinity, device and hour
/// histograms, recent items. The UserGrain and offline training both build profiles through
/// <see cref="Apply"/>, so the online and offline features cannot drift apart.
/// Public settable members keep it serializable with System.Text.Json for grain storage; members that are
/// usually zero are left out of the JSON while they are (they read back as zero), and the purchased and
/// dismissed lists share one empty instance until the first item, so a resident user costs less.
/// </summary>
public sealed class UserProfile
{
    private const long MsPerDay = 86_400_000;

    /// <summary>
    /// Ceiling of every running sum (order values, prices, session seconds): a million purchases at the largest
    /// allowed value, far below where a double loses whole units or overflows to infinity.
    /// </summary>
    public const double MaxSum = 1e15;

    // The sums are clipped in their setters, so neither Apply nor a state read back from storage written by an older
    // version (which could hold +∞ or NaN) can leave a value that System.Text.Json refuses to write.
    private double _monetary;
    private double _sessionSeconds;
    private double _priceSum;
    private Dictionary<string, double> _affinity = new(StringComparer.Ordinal);

    public long[] Counts { get; set; } = new long[InteractionTypes.Count];

    public long FirstSeenMs { get; set; }

    public long LastSeenMs { get; set; }

    public int ActiveDays { get; set; }

    public long LastActiveDay { get; set; } = long.MinValue;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long LongestGapMs { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public double Monetary { get => _monetary; set => _monetary = ClipSum(value); }

    public int Sessions { get; set; }

    public long SessionStartMs { get; set; }

    /// <summary>Total length of all sessions, including the one in progress.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public double SessionSeconds { get => _sessionSeconds; set => _sessionSeconds = ClipSum(value); }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public double PriceSum { get => _priceSum; set => _priceSum = ClipSum(value); }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int PricedEvents { get; set; }

    /// <summary>Category affinity, decayed to <see cref="AffinityAsOfMs"/>.</summary>
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public Dictionary<string, double> CategoryAffinity { get => _affinity; set => _affinity = FiniteOnly(value); }

    public long AffinityAsOfMs { get; set; }

    public Dictionary<string, int> Devices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Histograms of the declared context keys other than the device (country, referrer, page type, …): at most
    /// <see cref="MaxContextValues"/> values per key. Null until an event carries one, so stored profiles written
    /// before context keys existed read and write unchanged.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, Dictionary<string, int>>? Context { get; set; }

    public int[] HourOfDay { get; set; } = new int[24];

    /// <summary>Most recent first.</summary>
    public List<RecentItem> RecentItems { get; set; } = [];

    /// <summary>Oldest first, at most <see cref="ProfileOptions.ExcludedItemCount"/>.</summary>
    public IReadOnlyList<string> PurchasedItems { get; set; } = [];

    /// <summary>Oldest first, at most <see cref="ProfileOptions.ExcludedItemCount"/>.</summary>
    public IReadOnlyList<string> DismissedItems { get; set; } = [];

    [JsonIgnore]
    public long TotalEvents
    {
        get
        {
            long total = 0;
            foreach (var c in Counts)
            {
                total += c;
            }

            return total;
        }
    }

    public long Count(InteractionType type) => Counts[(int)type];

    /// <summary>Weight of one interaction in affinities and popularity, from <see cref="EventTypes"/>.</summary>
    public static double Weight(InteractionType type, double? value) => EventTypes.Of(type).WeightOf(value);

    public void Apply(in Interaction e, ItemInfo? item, ProfileOptions options)
    {
        var t = e.TimestampMs;
        if (TotalEvents == 0)
        {
            FirstSeenMs = t;
            LastSeenMs = t;
            SessionStartMs = t;
            Sessions = 1;
            AffinityAsOfMs = t;
        }

        var semantics = EventTypes.Of(e.Type);
        Counts[(int)e.Type]++;
        UpdateTime(t, options);

        if (e.Type == InteractionType.Purchase)
        {
            // Value is the order value; fall back to the catalog price.
            // Values beyond the documented maximum are rows older versions let in: they count as the maximum.
            var amount = e.Value ?? item?.Price ?? 0;
            if (double.IsFinite(amount) && amount > 0)
            {
                Monetary += Math.Min(amount, InteractionBounds.MaxValue);
            }

            PurchasedItems = Remember(PurchasedItems, e.ItemId, options.ExcludedItemCount);
        }
        else if (e.Type == InteractionType.Dismiss)
        {
            DismissedItems = Remember(DismissedItems, e.ItemId, options.ExcludedItemCount);
        }

        if (item?.Price is { } price && double.IsFinite(price) && price >= 0 && semantics.Polarity != Polarity.Negative)
        {
            PriceSum += Math.Min(price, InteractionBounds.MaxPrice);
            PricedEvents++;
        }

        if (item is not null && item.Categories.Count > 0)
        {
            UpdateAffinity(t, item.Categories, semantics.WeightOf(e.Value), options);
        }

        if (!string.IsNullOrEmpty(e.Device))
        {
            if (Devices.TryGetValue(e.Device, out var n))
            {
                Devices[e.Device] = n + 1;
            }
            else if (Devices.Count < 8)
            {
                Devices[e.Device] = 1;
            }
        }

        if (e.Context is { Count: > 0 } context)
        {
            CountContext(context);
        }

        var hour = (int)((t % MsPerDay + MsPerDay) % MsPerDay / 3_600_000);
        HourOfDay[hour]++;

        if (semantics.Polarity != Polarity.Negative)
        {
            RememberRecent(e, semantics, options.RecentItemCount);
        }
    }

    /// <summary>Category affinity decayed to <paramref name="nowMs"/>, without changing the profile.</summary>
    public double AffinityAt(string category, long nowMs, ProfileOptions options) =>
        CategoryAffinity.TryGetValue(category, out var v) && double.IsFinite(v) ? v * DecayFactor(nowMs - AffinityAsOfMs, options) : 0;

    private void UpdateTime(long t, ProfileOptions options)
    {
        var gapMs = options.SessionGap.TotalMilliseconds;
        if (t >= LastSeenMs)
        {
            var gap = t - LastSeenMs;
            if (gap > gapMs)
            {
                Sessions++;
                SessionStartMs = t;
            }
            else
            {
                SessionSeconds += gap / 1000.0;
            }

            LongestGapMs = Math.Max(LongestGapMs, gap);
            LastSeenMs = t;
        }

        // Late events still count toward activity but do not rewrite session history.
        FirstSeenMs = Math.Min(FirstSeenMs, t);
        var day = Math.DivRem(t, MsPerDay, out var rem) - (rem < 0 ? 1 : 0);
        if (day != LastActiveDay)
        {
            ActiveDays++;
            LastActiveDay = Math.Max(day, LastActiveDay);
        }
    }

    private void UpdateAffinity(long t, IReadOnlyList<string> categories, double weight, ProfileOptions options)
    {
        if (t > AffinityAsOfMs)
        {
            var factor = DecayFactor(t - AffinityAsOfMs, options);
            foreach (var key in CategoryAffinity.Keys)
            {
                CategoryAffinity[key] *= factor;
            }

            AffinityAsOfMs = t;
        }

        // An event older than the affinity clock contributes its decayed weight.
        var share = weight * DecayFactor(AffinityAsOfMs - t, options) / categories.Count;
        foreach (var category in categories)
        {
            CategoryAffinity.TryGetValue(category, out var current);
            var next = current + share;
            CategoryAffinity[category] = double.IsFinite(next) ? Math.Clamp(next, 0, MaxSum) : 0;
        }

        if (CategoryAffinity.Count > options.MaxCategories)
        {
            string? weakest = null;
            var min = double.MaxValue;
            foreach (var (key, value) in CategoryAffinity)
            {
                if (value < min)
                {
                    min = value;
                    weakest = key;
                }
            }

            CategoryAffinity.Remove(weakest!);
        }
    }

    /// <summary>Values kept per context key in <see cref="Context"/> (the device histogram keeps 8 too).</summary>
    public const int MaxContextValues = 8;

    /// <summary>The user's most frequent value of a context key (ties by name), or null.</summary>
    public string? MostUsed(string key)
    {
        if (Context?.GetValueOrDefault(key) is not { } values)
        {
            return null;
        }

        string? best = null;
        var count = 0;
        foreach (var (value, n) in values)
        {
            if (n > count || (n == count && string.CompareOrdinal(value, best) < 0))
            {
                best = value;
                count = n;
            }
        }

        return best;
    }

    private void CountContext(IReadOnlyDictionary<string, string> context)
    {
        foreach (var (key, value) in context)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            var all = Context ??= new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
            if (!all.TryGetValue(key, out var values))
            {
                if (all.Count >= ContextSchema.MaxKeys)
                {
                    continue;
                }

                all[key] = values = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            if (values.TryGetValue(value, out var n))
            {
                values[value] = n + 1;
            }
            else if (values.Count < MaxContextValues)
            {
                values[value] = 1;
            }
        }
    }

    private static double DecayFactor(long elapsedMs, ProfileOptions options) =>
        elapsedMs <= 0 ? 1 : Math.Pow(0.5, elapsedMs / options.AffinityHalfLife.TotalMilliseconds);

    private void RememberRecent(in Interaction e, EventTypeSemantics semantics, int capacity)
    {
        for (var i = 0; i < RecentItems.Count; i++)
        {
            if (RecentItems[i].ItemId == e.ItemId)
            {
                var previous = RecentItems[i];
                var strongest = semantics.Outranks(EventTypes.Of(previous.Type)) ? e.Type : previous.Type;
                RecentItems.RemoveAt(i);
                RecentItems.Insert(0, new RecentItem(e.ItemId, strongest, Math.Max(e.TimestampMs, LastSeenMs), strongest == previous.Type ? previous.Value : RecentValue(e, semantics)));
                return;
            }
        }

        RecentItems.Insert(0, new RecentItem(e.ItemId, e.Type, e.TimestampMs, RecentValue(e, semantics)));
        if (RecentItems.Count > capacity)
        {
            RecentItems.RemoveAt(RecentItems.Count - 1);
        }
    }

    /// <summary>Only a rating's value is kept: serving needs it to tell a positive rating from a negative one.</summary>
    private static float RecentValue(in Interaction e, EventTypeSemantics semantics) =>
        semantics.Polarity == Polarity.ByRating && e.Value is { } v && double.IsFinite(v) ? (float)Math.Clamp(v, -InteractionBounds.MaxValue, InteractionBounds.MaxValue) : 0;

    /// <summary>NaN and negative sums become 0, +∞ and anything above the ceiling become <see cref="MaxSum"/>.</summary>
    private static double ClipSum(double value) => double.IsNaN(value) || value <= 0 ? 0 : Math.Min(value, MaxSum);

    private static Dictionary<string, double> FiniteOnly(Dictionary<string, double>? values)
    {
        var result = values ?? new Dictionary<string, double>(StringComparer.Ordinal);
        List<string>? bad = null;
        foreach (var (key, value) in result)
        {
            if (!double.IsFinite(value))
            {
                (bad ??= []).Add(key);
            }
        }

        foreach (var key in bad ?? [])
        {
            result.Remove(key);
        }

        return result;
    }

    private static List<string> Remember(IReadOnlyList<string> items, string itemId, int capacity)
    {
        // The shared empty list (or a list someone assigned) becomes this profile's own list on the first add.
        var list = items as List<string> ?? new List<string>(items);
        if (list.Contains(itemId))
        {
            return list;
        }

        list.Add(itemId);
        if (list.Count > capacity)
        {
            list.RemoveAt(0);
        }

        return list;
    }
}
