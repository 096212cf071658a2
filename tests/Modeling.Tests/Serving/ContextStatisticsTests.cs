using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Serving;

public sealed class ContextStatisticsTests
{
    private const long Hour = 3_600_000;
    private static readonly long Day0 = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>
    /// Item 0 is used on mobile in the evening, item 1 on desktop in the morning, item 2 everywhere, item 3 once.
    /// </summary>
    private static ContextStatistics Fit(ContextStatisticsOptions? options = null)
    {
        var items = new List<int>();
        var devices = new List<string?>();
        var times = new List<long>();
        var random = new Random(5);
        void Add(int item, string? device, int hour)
        {
            items.Add(item);
            devices.Add(device);
            times.Add(Day0 + (random.Next(30) * 24 * Hour) + (hour * Hour) + random.Next(3_000_000));
        }

        for (var k = 0; k < 300; k++)
        {
            Add(0, "mobile", 20 + random.Next(3));
            Add(1, "desktop", 8 + random.Next(3));
            Add(2, k % 2 == 0 ? "mobile" : "desktop", random.Next(24));
        }

        Add(3, "mobile", 21);
        Add(2, null, 3);
        return ContextStatistics.Fit(5, items.ToArray(), devices, times.ToArray(), options ?? new ContextStatisticsOptions());
    }

    [Fact]
    public void Item_used_on_a_device_in_an_hour_bucket_is_lifted_there_and_lowered_elsewhere()
    {
        var stats = Fit();

        Assert.True(stats.Lift(0, "mobile", 21) > 1.5f, $"{stats.Lift(0, "mobile", 21)}");
        Assert.True(stats.Lift(0, "desktop", 9) < 0.75f, $"{stats.Lift(0, "desktop", 9)}");
        Assert.True(stats.Lift(1, "desktop", 9) > 1.5f, $"{stats.Lift(1, "desktop", 9)}");
        Assert.True(stats.Lift(1, "MOBILE", 21) < 0.75f, "device names compare case-insensitively");
    }

    [Fact]
    public void Lift_stays_within_the_configured_bounds()
    {
        var stats = Fit(new ContextStatisticsOptions { MinLift = 0.8f, MaxLift = 1.25f });

        for (var item = 0; item < 5; item++)
        {
            foreach (var device in new[] { "mobile", "desktop", null })
            {
                for (var hour = 0; hour < 24; hour++)
                {
                    var lift = stats.Lift(item, device, hour);
                    Assert.InRange(lift, 0.8f, 1.25f);
                }
            }
        }

        Assert.Equal(1.25f, stats.Lift(0, "mobile", 21));
    }

    [Fact]
    public void Rare_unused_and_unknown_items_and_contexts_stay_near_one()
    {
        var stats = Fit();

        Assert.InRange(stats.Lift(3, "mobile", 21), 0.9f, 1.15f); // one event is weak evidence
        Assert.Equal(1f, stats.Lift(4, "mobile", 21)); // no events at all
        Assert.Equal(1f, stats.Lift(99, "mobile", 21)); // outside the model
        Assert.Equal(1f, stats.Lift(-1, "mobile", 21));
        Assert.Equal(stats.Lift(0, null, 21), stats.Lift(0, "smart-fridge", 21)); // unknown device: hour lift only
    }

    [Fact]
    public void Lift_is_relative_to_the_overall_distribution()
    {
        var stats = Fit();

        // Item 2 is used at every hour, but at noon it is nearly the only item used, so it is lifted there.
        Assert.True(stats.Lift(2, null, 12) > 1.5f, $"{stats.Lift(2, null, 12)}");
        Assert.True(stats.Lift(2, null, 21) < 1f, $"{stats.Lift(2, null, 21)}");
    }

    [Fact]
    public void Only_the_most_used_devices_get_statistics()
    {
        var stats = Fit(new ContextStatisticsOptions { MaxDevices = 1 });

        Assert.Single(stats.Devices);
        Assert.Equal(stats.Lift(1, null, 9), stats.Lift(1, stats.Devices[0] == "mobile" ? "desktop" : "mobile", 9));
    }

    [Fact]
    public void Written_statistics_read_back_with_the_same_lifts()
    {
        var stats = Fit();
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            stats.Write(writer);
        }

        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        var copy = ContextStatistics.Read(reader);

        Assert.Equal(stats.ItemCount, copy.ItemCount);
        Assert.Equal(stats.Devices, copy.Devices);
        for (var item = 0; item < 5; item++)
        {
            for (var hour = 0; hour < 24; hour += 5)
            {
                Assert.Equal(stats.Lift(item, "mobile", hour), copy.Lift(item, "mobile", hour));
                Assert.Equal(stats.Lift(item, "desktop", hour), copy.Lift(item, "desktop", hour));
            }
        }
    }

    [Fact]
    public void Mismatched_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => ContextStatistics.Fit(3, new[] { 0, 1 }, new string?[] { "a" }, new long[] { 1, 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContextStatistics.Fit(3, [], [], [], new ContextStatisticsOptions { HoursPerBucket = 5 }));
    }
}
