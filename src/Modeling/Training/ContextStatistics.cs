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
/// lift(i, c) = ((n(i, c) + m·p(c)) / (n(i) + m)) / p(c). An item with no events has lift exactly 1; the device lift
/// and the hour lift multiply and the product is clamped to [MinLift, MaxLift]. The lifts are precomputed at fit time,
/// so <see cref="Lift"/> is two array reads and a short device lookup (no allocation).
/// </remarks>
public sealed class ContextStatistics
{
    private const int FormatVersion = 1;

    private readonly ContextStatisticsOptions _options;
    private readonly string[] _devices;
    private readonly float[] _deviceLift; // items × devices
    private readonly float[] _hourLift; // items × buckets
    private readonly int _buckets;

    private ContextStatistics(ContextStatisticsOptions options, int itemCount, string[] devices, float[] deviceLift, float[] hourLift)
    {
        _options = options;
        ItemCount = itemCount;
        _devices = devices;
        _deviceLift = deviceLift;
        _hourLift = hourLift;
        _buckets = 24 / options.HoursPerBucket;
    }

    public int ItemCount { get; }

    /// <summary>The devices with their own statistics, most used first.</summary>
    public IReadOnlyList<string> Devices => _devices;

    public ContextStatisticsOptions Options => _options;

    /// <summary>Learns from parallel arrays of (item index, device or null, unix ms timestamp).</summary>
    public static ContextStatistics Fit(int itemCount, ReadOnlySpan<int> items, IReadOnlyList<string?> devices, ReadOnlySpan<long> timestampsMs) =>
        Fit(itemCount, items, devices, timestampsMs, new ContextStatisticsOptions());

    /// <summary>As <see cref="Fit(int, ReadOnlySpan{int}, IReadOnlyList{string?}, ReadOnlySpan{long})"/> with explicit options.</summary>
    public static ContextStatistics Fit(int itemCount, ReadOnlySpan<int> items, IReadOnlyList<string?> devices, ReadOnlySpan<long> timestampsMs, ContextStatisticsOptions options)
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

        return new ContextStatistics(
            options,
            itemCount,
            kept,
            Lifts(deviceCounts, itemCount, kept.Length, options.Smoothing),
            Lifts(hourCounts, itemCount, buckets, options.Smoothing));
    }

    /// <summary>Multiplicative lift (≈1 when unknown) of <paramref name="item"/> for the device and hour of day (0..23, UTC).</summary>
    public float Lift(int item, string? device, int hourOfDay)
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
    }

    public static ContextStatistics Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, "context statistics");
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
        return new ContextStatistics(options, items, devices, deviceLift, hourLift);
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
