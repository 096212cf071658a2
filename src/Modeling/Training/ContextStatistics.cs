using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Training;

/// <summary>Smoothing and bounds of <see cref="ContextStatistics"/>.</summary>
public sealed record ContextStatisticsOptions
{
    /// <summary>Pseudo-count m pulling an item's context distribution toward the overall one: rare items stay near 1.</summary>
    public float Smoothing { get; init; } = 20f;

    /// <summary>Hours per time-of-day bucket (must divide 24).</summary>
    public int HoursPerBucket { get; init; } = 4;

    /// <summary>Only the most used devices get their own statistics; every other device has lift 1.</summary>
    public int MaxDevices { get; init; } = 8;

    /// <summary>Per other context key (country, referrer, …), only its most used values get statistics; the rest have lift 1.</summary>
    public int MaxContextValues { get; init; } = 16;

    /// <summary>Lower bound of the combined lift, so context can demote but never bury an item.</summary>
    public float MinLift { get; init; } = 0.5f;

    /// <summary>Upper bound of the combined lift, so context can promote but never override relevance.</summary>
    public float MaxLift { get; init; } = 2f;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Smoothing);
        if (HoursPerBucket is < 1 or > 24 || 24 % HoursPerBucket != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(HoursPerBucket), HoursPerBucket, "hours per bucket must divide 24");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxDevices);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxContextValues);
        if (!(MinLift > 0 && MinLift <= 1 && MaxLift >= 1 && float.IsFinite(MaxLift)))
        {
            throw new ArgumentOutOfRangeException(nameof(MinLift), "lift bounds must satisfy 0 < min ≤ 1 ≤ max");
        }
    }
}

/// <summary>
/// How much more (or less) an item is used on a device and in a time-of-day bucket than items overall, learned from
/// the training log with smoothing so rare items stay near 1.
/// </summary>
/// <remarks>
/// For a context value c (a device, or an hour bucket) with overall share p(c):
/// lift(i, c) = ((n(i, c) + m·p(c)) / (n(i) + m)) / p(c). An item with no events has lift exactly 1; the device lift,
/// the hour lift and the lift of every other declared context key the request carries (country, referrer, page type:
/// each learned the same way, over the events that carried the key) multiply and the product is clamped to
/// [MinLift, MaxLift]. The lifts are precomputed at fit time, so a lift is a few array reads and short value lookups
/// (no allocation). Format 2 adds the other keys; format 1 (device and hour only) still reads.
/// </remarks>
public sealed class ContextStatistics
{
    private const int FormatVersion = 2;

    private readonly ContextStatisticsOptions _options;
    private readonly string[] _devices;
    private readonly float[] _deviceLift; // items × devices
    private readonly float[] _hourLift; // items × buckets
    private readonly int _buckets;
    private readonly string[] _keys;
    private readonly string[][] _keyValues;
    private readonly float[][] _keyLift; // per key: items × values

    private ContextStatistics(ContextStatisticsOptions options, int itemCount, string[] devices, float[] deviceLift, float[] hourLift, string[] keys, string[][] keyValues, float[][] keyLift)
    {
        _options = options;
        ItemCount = itemCount;
        _devices = devices;
        _deviceLift = deviceLift;
        _hourLift = hourLift;
        _buckets = 24 / options.HoursPerBucket;
        _keys = keys;
        _keyValues = keyValues;
        _keyLift = keyLift;
    }

    /// <summary>The context keys other than the device that have statistics (ordinal order).</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>The values of <paramref name="key"/> with their own statistics, most used first; empty for an unknown key.</summary>
    public IReadOnlyList<string> ValuesOf(string key) => KeyOf(key) is var k && k >= 0 ? _keyValues[k] : [];

    /// <summary>The learned lift of one context value alone (unclamped; 1 when unknown).</summary>
    public float ValueLift(int item, string key, string value)
    {
        var k = KeyOf(key);
        var v = k >= 0 ? Index(_keyValues[k], value) : -1;
        return v >= 0 && (uint)item < (uint)ItemCount ? _keyLift[k][(item * _keyValues[k].Length) + v] : 1f;
    }

    public int ItemCount { get; }

    /// <summary>The devices with their own statistics, most used first.</summary>
    public IReadOnlyList<string> Devices => _devices;

    public ContextStatisticsOptions Options => _options;

    /// <summary>Learns from parallel arrays of (item index, device or null, unix ms timestamp).</summary>
    public static ContextStatistics Fit(int itemCount, ReadOnlySpan<int> items, IReadOnlyList<string?> devices, ReadOnlySpan<long> timestampsMs) =>
        Fit(itemCount, items, devices, timestampsMs, new ContextStatisticsOptions());

    /// <summary>As <see cref="Fit(int, ReadOnlySpan{int}, IReadOnlyList{string?}, ReadOnlySpan{long})"/> with explicit options.</summary>
    public static ContextStatistics Fit(int itemCount, ReadOnlySpan<int> items, IReadOnlyList<string?> devices, ReadOnlySpan<long> timestampsMs, ContextStatisticsOptions options) =>
        Fit(itemCount, items, devices, timestampsMs, null, options);

    /// <summary>
    /// Learns device, hour and every other context key found in <paramref name="contexts"/> (parallel to the items; an
    /// entry may be null), each key over the events that carried it, with the same smoothing.
    /// </summary>
    public static ContextStatistics Fit(int itemCount, ReadOnlySpan<int> items, IReadOnlyList<string?> devices, ReadOnlySpan<long> timestampsMs, IReadOnlyList<IReadOnlyDictionary<string, string>?>? contexts, ContextStatisticsOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(itemCount);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (devices.Count != items.Length || timestampsMs.Length != items.Length)
        {
            throw new ArgumentException("items, devices and timestamps must be parallel arrays");
        }

        var kept = TopDevices(devices, options.MaxDevices);
        var deviceIndex = new Dictionary<string, int>(kept.Length, StringComparer.OrdinalIgnoreCase);
        for (var d = 0; d < kept.Length; d++)
        {
            deviceIndex[kept[d]] = d;
        }

        var buckets = 24 / options.HoursPerBucket;
        var deviceCounts = new double[itemCount * kept.Length];
        var hourCounts = new double[itemCount * buckets];
        for (var r = 0; r < items.Length; r++)
        {
            var item = items[r];
            if ((uint)item >= (uint)itemCount)
            {
                continue;
            }

            hourCounts[(item * buckets) + BucketOfTimestamp(timestampsMs[r], options.HoursPerBucket)]++;
            if (devices[r] is { } device && deviceIndex.TryGetValue(device, out var d))
            {
                deviceCounts[(item * kept.Length) + d]++;
            }
        }

        var (keys, keyValues, keyLift) = FitKeys(itemCount, items, contexts, options);
        return new ContextStatistics(
            options,
            itemCount,
            kept,
            Lifts(deviceCounts, itemCount, kept.Length, options.Smoothing),
            Lifts(hourCounts, itemCount, buckets, options.Smoothing),
            keys,
            keyValues,
            keyLift);
    }

    private static (string[] Keys, string[][] Values, float[][] Lifts) FitKeys(int itemCount, ReadOnlySpan<int> items, IReadOnlyList<IReadOnlyDictionary<string, string>?>? contexts, ContextStatisticsOptions options)
    {
        if (contexts is null || options.MaxContextValues == 0)
        {
            return ([], [], []);
        }

        if (contexts.Count != items.Length)
        {
            throw new ArgumentException("contexts must be parallel to the items", nameof(contexts));
        }

        var perKey = new SortedDictionary<string, List<string?>>(StringComparer.Ordinal);
        for (var r = 0; r < contexts.Count; r++)
        {
            if (contexts[r] is { Count: > 0 } context)
            {
                foreach (var key in context.Keys)
                {
                    if (!perKey.ContainsKey(key) && perKey.Count < Events.ContextSchema.MaxKeys)
                    {
                        perKey[key] = [];
                    }
                }
            }
        }

        var keys = new string[perKey.Count];
        var values = new string[perKey.Count][];
        var lifts = new float[perKey.Count][];
        var k = 0;
        foreach (var key in perKey.Keys)
        {
            var column = new string?[contexts.Count];
            for (var r = 0; r < column.Length; r++)
            {
                column[r] = contexts[r]?.GetValueOrDefault(key);
            }

            var kept = TopDevices(column, options.MaxContextValues);
            var index = new Dictionary<string, int>(kept.Length, StringComparer.OrdinalIgnoreCase);
            for (var v = 0; v < kept.Length; v++)
            {
                index[kept[v]] = v;
            }

            var counts = new double[itemCount * kept.Length];
            for (var r = 0; r < column.Length; r++)
            {
                if ((uint)items[r] < (uint)itemCount && column[r] is { } value && index.TryGetValue(value, out var v))
                {
                    counts[(items[r] * kept.Length) + v]++;
                }
            }

            keys[k] = key;
            values[k] = kept;
            lifts[k] = Lifts(counts, itemCount, kept.Length, options.Smoothing);
            k++;
        }

        return (keys, values, lifts);
    }

    /// <summary>Multiplicative lift (≈1 when unknown) of <paramref name="item"/> for the device and hour of day (0..23, UTC).</summary>
    public float Lift(int item, string? device, int hourOfDay) => Lift(item, device, hourOfDay, null);

    /// <summary>As <see cref="Lift(int, string?, int)"/>, times the lift of each other context value the request carries.</summary>
    public float Lift(int item, string? device, int hourOfDay, IReadOnlyDictionary<string, string>? context)
    {
        if ((uint)item >= (uint)ItemCount)
        {
            return 1f;
        }

        var hour = ((hourOfDay % 24) + 24) % 24;
        var lift = _hourLift[(item * _buckets) + (hour / _options.HoursPerBucket)];
        var d = DeviceOf(device);
        if (d >= 0)
        {
            lift *= _deviceLift[(item * _devices.Length) + d];
        }

        if (context is { Count: > 0 } && _keys.Length > 0)
        {
            foreach (var (key, value) in context)
            {
                var k = KeyOf(key);
                var v = k >= 0 ? Index(_keyValues[k], value) : -1;
                if (v >= 0)
                {
                    lift *= _keyLift[k][(item * _keyValues[k].Length) + v];
                }
            }
        }

        return Math.Clamp(lift, _options.MinLift, _options.MaxLift);
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(_options.Smoothing);
        writer.Write(_options.HoursPerBucket);
        writer.Write(_options.MaxDevices);
        writer.Write(_options.MinLift);
        writer.Write(_options.MaxLift);
        writer.Write(ItemCount);
        BinaryArrays.WriteStrings(writer, _devices);
        BinaryArrays.Write(writer, _deviceLift);
        BinaryArrays.Write(writer, _hourLift);
        writer.Write(_options.MaxContextValues);
        BinaryArrays.WriteStrings(writer, _keys);
        for (var k = 0; k < _keys.Length; k++)
        {
            BinaryArrays.WriteStrings(writer, _keyValues[k]);
            BinaryArrays.Write(writer, _keyLift[k]);
        }
    }

    public static ContextStatistics Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var format = reader.ReadInt32();
        if (format is not (1 or FormatVersion))
        {
            throw new InvalidDataException($"context statistics model format version {format} is not supported (expected 1 or {FormatVersion})");
        }

        var options = new ContextStatisticsOptions
        {
            Smoothing = reader.ReadSingle(),
            HoursPerBucket = reader.ReadInt32(),
            MaxDevices = reader.ReadInt32(),
            MinLift = reader.ReadSingle(),
            MaxLift = reader.ReadSingle(),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException("context statistics have invalid options", e);
        }

        var items = reader.ReadInt32();
        if (items < 0)
        {
            throw new InvalidDataException("negative item count in context statistics");
        }

        var devices = BinaryArrays.ReadStrings(reader);
        var deviceLift = BinaryArrays.ReadSingle(reader, items * devices.Length);
        var hourLift = BinaryArrays.ReadSingle(reader, items * (24 / options.HoursPerBucket));
        if (format == 1)
        {
            return new ContextStatistics(options, items, devices, deviceLift, hourLift, [], [], []);
        }

        options = options with { MaxContextValues = reader.ReadInt32() };
        var keys = BinaryArrays.ReadStrings(reader);
        var keyValues = new string[keys.Length][];
        var keyLift = new float[keys.Length][];
        for (var k = 0; k < keys.Length; k++)
        {
            keyValues[k] = BinaryArrays.ReadStrings(reader);
            keyLift[k] = BinaryArrays.ReadSingle(reader, items * keyValues[k].Length);
        }

        return new ContextStatistics(options, items, devices, deviceLift, hourLift, keys, keyValues, keyLift);
    }

    private int KeyOf(string key)
    {
        for (var k = 0; k < _keys.Length; k++)
        {
            if (string.Equals(_keys[k], key, StringComparison.OrdinalIgnoreCase))
            {
                return k;
            }
        }

        return -1;
    }

    private static int Index(string[] values, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return -1;
        }

        for (var v = 0; v < values.Length; v++)
        {
            if (string.Equals(values[v], value, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return -1;
    }

    private int DeviceOf(string? device)
    {
        if (string.IsNullOrEmpty(device))
        {
            return -1;
        }

        for (var d = 0; d < _devices.Length; d++)
        {
            if (string.Equals(_devices[d], device, StringComparison.OrdinalIgnoreCase))
            {
                return d;
            }
        }

        return -1;
    }

    private static int BucketOfTimestamp(long timestampMs, int hoursPerBucket)
    {
        const long msPerDay = 86_400_000;
        var hour = (int)((((timestampMs % msPerDay) + msPerDay) % msPerDay) / 3_600_000);
        return hour / hoursPerBucket;
    }

    /// <summary>Most used devices first (ties by name, so the result does not depend on event order).</summary>
    private static string[] TopDevices(IReadOnlyList<string?> devices, int max)
    {
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in devices)
        {
            if (!string.IsNullOrEmpty(d))
            {
                counts[d] = counts.TryGetValue(d, out var n) ? n + 1 : 1;
            }
        }

        var names = new string[counts.Count];
        counts.Keys.CopyTo(names, 0);
        Array.Sort(names, (a, b) =>
        {
            var c = counts[b].CompareTo(counts[a]);
            return c != 0 ? c : string.CompareOrdinal(a, b);
        });
        return names.Length <= max ? names : names[..max];
    }

    private static float[] Lifts(double[] counts, int items, int contexts, float smoothing)
    {
        var lifts = new float[counts.Length];
        Array.Fill(lifts, 1f);
        if (contexts == 0)
        {
            return lifts;
        }

        var totals = new double[contexts];
        var all = 0.0;
        for (var i = 0; i < items; i++)
        {
            for (var c = 0; c < contexts; c++)
            {
                totals[c] += counts[(i * contexts) + c];
            }
        }

        foreach (var t in totals)
        {
            all += t;
        }

        if (all <= 0)
        {
            return lifts;
        }

        for (var i = 0; i < items; i++)
        {
            var row = counts.AsSpan(i * contexts, contexts);
            var n = 0.0;
            foreach (var v in row)
            {
                n += v;
            }

            if (n + smoothing <= 0)
            {
                continue;
            }

            for (var c = 0; c < contexts; c++)
            {
                var p = totals[c] / all;
                if (p > 0)
                {
                    lifts[(i * contexts) + c] = (float)((row[c] + (smoothing * p)) / (n + smoothing) / p);
                }
            }
        }

        return lifts;
    }
}
