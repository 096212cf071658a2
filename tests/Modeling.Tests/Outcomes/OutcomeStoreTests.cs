using System.Text.Json;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Tests.Outcomes;

public sealed class OutcomeStoreTests
{
    private static readonly OutcomeKey Key = new(3, 7, "exp", "b", ServedStrategy.CohortModel);
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 23, 58, 30, TimeSpan.Zero);

    private static OutcomeCounts Served(long impressions, long clicks = 0, double revenue = 0) =>
        new(1, impressions, clicks, 0, revenue > 0 ? 1 : 0, revenue, clicks > 0 ? 1 : 0, revenue > 0 ? 1 : 0, revenue * revenue);

    [Fact]
    public void Deltas_across_minute_hour_and_day_boundaries_land_in_the_right_buckets_and_roll_up()
    {
        var store = new OutcomeStore(OutcomeRetention.Default);
        store.Add(Key, Served(2), T0);                          // 23:58:30 on 1 March
        store.Add(Key, Served(3), T0.AddSeconds(20));           // 23:58:50, same minute
        store.Add(Key, Served(5, clicks: 1), T0.AddMinutes(1)); // 23:59:30
        store.Add(Key, Served(7), T0.AddMinutes(2));            // 00:00:30 on 2 March: new minute, hour and day

        var minutes = store.Rows(OutcomeGranularity.Minute, T0.AddHours(-1), T0.AddHours(1));
        Assert.Equal([T0.AddSeconds(-30), T0.AddSeconds(30), T0.AddSeconds(90)], minutes.Select(r => r.Start));
        Assert.Equal([5L, 5, 7], minutes.Select(r => r.Counts.Impressions));

        var hours = store.Rows(OutcomeGranularity.Hour, T0.AddHours(-1), T0.AddHours(1));
        Assert.Equal([new DateTimeOffset(2026, 3, 1, 23, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero)], hours.Select(r => r.Start));
        Assert.Equal([10L, 7], hours.Select(r => r.Counts.Impressions));
        Assert.Equal(3, hours[0].Counts.Exposures);
        Assert.Equal(1, hours[0].Counts.Clicks);

        var days = store.Rows(OutcomeGranularity.Day, T0.AddDays(-1), T0.AddDays(1));
        Assert.Equal([10L, 7], days.Select(r => r.Counts.Impressions));

        // An hour is the sum of its minutes.
        var minuteSum = minutes.Where(r => r.Start.Hour == 23).Aggregate(default(OutcomeCounts), (a, r) => a.Plus(r.Counts));
        Assert.Equal(hours[0].Counts, minuteSum);
    }

    [Fact]
    public void Rows_cover_buckets_starting_from_the_aligned_from_up_to_but_excluding_to()
    {
        var store = new OutcomeStore(OutcomeRetention.Default);
        store.Add(Key, Served(1), new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        store.Add(Key, Served(2), new DateTimeOffset(2026, 3, 1, 11, 0, 0, TimeSpan.Zero));
        store.Add(Key, Served(4), new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

        var rows = store.Rows(OutcomeGranularity.Hour, new DateTimeOffset(2026, 3, 1, 10, 30, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal([1L, 2], rows.Select(r => r.Counts.Impressions));
    }

    [Fact]
    public void Retention_drops_old_minute_buckets_first_and_keeps_the_hours_and_days()
    {
        var retention = new OutcomeRetention(TimeSpan.FromHours(3), TimeSpan.FromDays(14), TimeSpan.FromDays(400));
        var store = new OutcomeStore(retention);
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        store.Add(Key, Served(1), start);

        Assert.Equal(0, store.Prune(start.AddHours(3)));                 // the minute ended 2 h 59 min ago
        Assert.Equal(1, store.Prune(start.AddHours(3).AddMinutes(1)));   // now it ended 3 h ago: gone
        Assert.Equal(0, store.CountOf(OutcomeGranularity.Minute));
        Assert.Equal(1, store.CountOf(OutcomeGranularity.Hour));

        Assert.Equal(1, store.Prune(start.AddDays(14).AddHours(1)));     // the hour
        Assert.Equal(1, store.CountOf(OutcomeGranularity.Day));
        Assert.Equal(1, store.Prune(start.AddDays(401)));                // the day
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Stored_state_round_trips_through_json_with_every_counter()
    {
        var store = new OutcomeStore(OutcomeRetention.Default);
        var other = new OutcomeKey(-1, 0, string.Empty, string.Empty, ServedStrategy.Popularity);
        var full = new OutcomeCounts(2, 10, 3, 1, 2, 59.5, 1, 1, 1770.25);
        store.Add(Key, full, T0);
        store.Add(other, Served(4), T0.AddHours(2));

        var json = JsonSerializer.Serialize(store.ToState());
        var restored = OutcomeStore.FromState(JsonSerializer.Deserialize<OutcomeStoreState>(json), OutcomeRetention.Default);

        Assert.Equal(store.Count, restored.Count);
        foreach (var g in new[] { OutcomeGranularity.Minute, OutcomeGranularity.Hour, OutcomeGranularity.Day })
        {
            Assert.Equal(store.Rows(g, T0.AddDays(-2), T0.AddDays(2)), restored.Rows(g, T0.AddDays(-2), T0.AddDays(2)));
        }

        // Each key is stored once, however many buckets it has.
        Assert.Equal(2, JsonSerializer.Deserialize<OutcomeStoreState>(json)!.Keys.Count);
    }

    [Theory]
    [InlineData(OutcomeGranularity.Minute, "2026-03-01T10:00:30Z", "2026-03-01T11:00:00Z", 60)]
    [InlineData(OutcomeGranularity.Hour, "2026-03-01T10:30:00Z", "2026-03-02T10:30:00Z", 25)]
    [InlineData(OutcomeGranularity.Day, "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z", 30)]
    [InlineData(OutcomeGranularity.Day, "2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", 0)]
    public void Bucket_count_counts_every_bucket_the_range_touches(OutcomeGranularity granularity, string from, string to, long expected) =>
        Assert.Equal(expected, OutcomeTime.BucketCount(granularity, DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture)));
}
