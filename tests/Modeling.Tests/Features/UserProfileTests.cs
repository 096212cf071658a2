using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Tests.Features;

public sealed class UserProfileTests
{
    private static readonly long T0 = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly ItemInfo Shoe = new("shoe", ["fashion"], 50);
    private static readonly ItemInfo Book = new("book", ["books"], 10);

    private static Interaction Event(string item, InteractionType type, long t, double? value = null, string? device = "mobile") =>
        new("u1", item, type, value, t, device);

    [Fact]
    public void Purchase_adds_order_value_to_monetary_and_remembers_the_item()
    {
        var p = new UserProfile();
        p.Apply(Event("shoe", InteractionType.View, T0), Shoe, ProfileOptions.Default);
        p.Apply(Event("shoe", InteractionType.Purchase, T0 + 60_000, 120), Shoe, ProfileOptions.Default);

        Assert.Equal(120, p.Monetary);
        Assert.Equal(1, p.Count(InteractionType.Purchase));
        Assert.Equal(["shoe"], p.PurchasedItems);
        Assert.Equal(InteractionType.Purchase, p.RecentItems[0].Type);
        Assert.Single(p.RecentItems);
    }

    [Fact]
    public void Purchase_without_value_falls_back_to_catalog_price()
    {
        var p = new UserProfile();
        p.Apply(Event("shoe", InteractionType.Purchase, T0), Shoe, ProfileOptions.Default);
        Assert.Equal(50, p.Monetary);
    }

    [Fact]
    public void Gap_longer_than_thirty_minutes_starts_a_new_session()
    {
        var p = new UserProfile();
        p.Apply(Event("shoe", InteractionType.View, T0), Shoe, ProfileOptions.Default);
        p.Apply(Event("book", InteractionType.View, T0 + (10 * 60_000)), Book, ProfileOptions.Default);
        p.Apply(Event("book", InteractionType.View, T0 + (50 * 60_000)), Book, ProfileOptions.Default);

        Assert.Equal(2, p.Sessions);
        Assert.Equal(600, p.SessionSeconds, 3);
        Assert.Equal(40 * 60_000, p.LongestGapMs);
    }

    [Fact]
    public void Category_affinity_halves_after_one_half_life()
    {
        var options = ProfileOptions.Default with { AffinityHalfLife = TimeSpan.FromDays(1) };
        var p = new UserProfile();
        p.Apply(Event("shoe", InteractionType.View, T0), Shoe, options);
        var later = T0 + (long)TimeSpan.FromDays(1).TotalMilliseconds;
        p.Apply(Event("book", InteractionType.View, later), Book, options);

        Assert.Equal(0.5, p.AffinityAt("fashion", later, options), 6);
        Assert.Equal(1.0, p.AffinityAt("books", later, options), 6);
    }

    [Fact]
    public void Active_days_count_distinct_days_and_frequency_uses_them()
    {
        var p = new UserProfile();
        var day = (long)TimeSpan.FromDays(1).TotalMilliseconds;
        p.Apply(Event("shoe", InteractionType.View, T0), Shoe, ProfileOptions.Default);
        p.Apply(Event("shoe", InteractionType.Click, T0 + 1000), Shoe, ProfileOptions.Default);
        p.Apply(Event("book", InteractionType.View, T0 + (3 * day)), Book, ProfileOptions.Default);

        Assert.Equal(2, p.ActiveDays);
        var features = ProfileFeatures.Extract(p, T0 + (3 * day));
        Assert.Equal((float)Math.Log(1 + 1.5), features[2], 5);
    }

    [Fact]
    public void Recent_items_are_bounded_and_most_recent_first()
    {
        var options = ProfileOptions.Default with { RecentItemCount = 3 };
        var p = new UserProfile();
        for (var i = 0; i < 5; i++)
        {
            p.Apply(Event($"i{i}", InteractionType.View, T0 + i), null, options);
        }

        Assert.Equal(["i4", "i3", "i2"], p.RecentItems.Select(r => r.ItemId));
    }

    [Fact]
    public void Device_and_hour_histograms_count_events()
    {
        var p = new UserProfile();
        p.Apply(Event("shoe", InteractionType.View, T0, device: "mobile"), Shoe, ProfileOptions.Default);
        p.Apply(Event("shoe", InteractionType.View, T0 + 1, device: "desktop"), Shoe, ProfileOptions.Default);

        Assert.Equal(1, p.Devices["mobile"]);
        Assert.Equal(2, p.HourOfDay[10]);
        Assert.Equal(0.5f, ProfileFeatures.Extract(p, T0)[11]);
    }

    [Fact]
    public void Profile_round_trips_through_system_text_json()
    {
        var p = new UserProfile();
        p.Apply(Event("shoe", InteractionType.Purchase, T0, 80), Shoe, ProfileOptions.Default);
        var json = System.Text.Json.JsonSerializer.Serialize(p);
        var back = System.Text.Json.JsonSerializer.Deserialize<UserProfile>(json)!;

        Assert.Equal(80, back.Monetary);
        Assert.Equal(p.CategoryAffinity["fashion"], back.CategoryAffinity["fashion"]);
        Assert.Equal(ProfileFeatures.Extract(p, T0), ProfileFeatures.Extract(back, T0));
    }

    [Fact]
    public void Json_leaves_out_zero_members_and_reads_them_back_as_zero()
    {
        var p = new UserProfile();
        p.Apply(Event("shoe", InteractionType.View, T0), null, ProfileOptions.Default);
        var json = System.Text.Json.JsonSerializer.Serialize(p);
        var back = System.Text.Json.JsonSerializer.Deserialize<UserProfile>(json)!;

        Assert.DoesNotContain("\"Monetary\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Value\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"TotalEvents\"", json, StringComparison.Ordinal);
        Assert.Equal(0, back.Monetary);
        Assert.Equal(0, back.RecentItems[0].Value);
        Assert.Equal(p.LastActiveDay, back.LastActiveDay);
        Assert.Equal(ProfileFeatures.Extract(p, T0), ProfileFeatures.Extract(back, T0));
    }

    [Fact]
    public void Json_written_before_members_were_left_out_still_loads()
    {
        const string old = """
            {"Counts":[0,0,0,0,1,0],"FirstSeenMs":5,"LastSeenMs":5,"ActiveDays":1,"LastActiveDay":0,"LongestGapMs":0,"Monetary":0,
             "Sessions":1,"SessionStartMs":5,"SessionSeconds":0,"PriceSum":0,"PricedEvents":0,"CategoryAffinity":{},"AffinityAsOfMs":5,
             "Devices":{},"HourOfDay":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],
             "RecentItems":[{"ItemId":"book","Type":4,"TimestampMs":5,"Value":4.5}],"PurchasedItems":["shoe"],"DismissedItems":[],"TotalEvents":1}
            """;
        var p = System.Text.Json.JsonSerializer.Deserialize<UserProfile>(old)!;

        Assert.Equal(1, p.TotalEvents);
        Assert.Equal(4.5f, p.RecentItems[0].Value);
        Assert.Equal(["shoe"], p.PurchasedItems);
        p.Apply(Event("book", InteractionType.Purchase, T0), Book, ProfileOptions.Default);
        Assert.Equal(["shoe", "book"], p.PurchasedItems);
    }

    [Fact]
    public void Profiles_without_purchases_share_the_empty_lists_and_get_their_own_on_the_first_item()
    {
        var a = new UserProfile();
        var b = new UserProfile();
        Assert.Same(a.PurchasedItems, b.PurchasedItems);

        a.Apply(Event("shoe", InteractionType.Purchase, T0), Shoe, ProfileOptions.Default);
        a.Apply(Event("book", InteractionType.Dismiss, T0), Book, ProfileOptions.Default);

        Assert.Equal(["shoe"], a.PurchasedItems);
        Assert.Equal(["book"], a.DismissedItems);
        Assert.Empty(b.PurchasedItems);
        Assert.Empty(b.DismissedItems);
    }
}

public sealed class EventDeduplicatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    [Fact]
    public void Second_sighting_of_an_event_id_is_a_duplicate()
    {
        var d = new EventDeduplicator();
        Assert.True(d.TryAdd("e1", T0, Day));
        Assert.True(d.TryAdd("e2", T0, Day));
        Assert.False(d.TryAdd("e1", T0.AddSeconds(1), Day));
    }

    [Fact]
    public void A_retry_within_the_window_is_a_duplicate_however_many_newer_events_came_between()
    {
        var d = new EventDeduplicator();
        Assert.True(d.TryAdd("first", T0, Day));
        for (var i = 0; i < 5_000; i++)
        {
            Assert.True(d.TryAdd($"e{i}", T0.AddSeconds(i), Day));
        }

        Assert.False(d.TryAdd("first", T0.AddHours(23), Day));
    }

    [Fact]
    public void An_id_older_than_the_window_counts_again_and_expired_ids_are_dropped()
    {
        var d = new EventDeduplicator();
        for (var i = 0; i < 100; i++)
        {
            Assert.True(d.TryAdd($"old{i}", T0, Day));
        }

        Assert.True(d.TryAdd("old0", T0.AddHours(25), Day));
        for (var i = 0; i < 200; i++)
        {
            d.TryAdd($"new{i}", T0.AddHours(25), Day);
        }

        // The 99 other old ids fell out of the window and out of memory.
        Assert.Equal(201, d.Count);
        Assert.False(d.TryAdd("new7", T0.AddHours(26), Day));
    }

    [Fact]
    public void Deduplicator_state_survives_serialization_as_packed_base64()
    {
        var d = new EventDeduplicator();
        for (var i = 0; i < 10; i++)
        {
            d.TryAdd($"a{i}", T0.AddMinutes(i), Day);
        }

        var json = System.Text.Json.JsonSerializer.Serialize(d);
        var back = System.Text.Json.JsonSerializer.Deserialize<EventDeduplicator>(json)!;
        Assert.False(back.TryAdd("a3", T0.AddHours(1), Day));
        Assert.True(back.TryAdd("b", T0.AddHours(1), Day));
        // 12 bytes an id, base64: 16 characters an id plus the property names.
        Assert.InRange(json.Length, 10 * 16, (10 * 16) + 60);
    }

    [Fact]
    public void State_written_by_the_old_ring_reads_back_empty_instead_of_failing()
    {
        var back = System.Text.Json.JsonSerializer.Deserialize<EventDeduplicator>("""{"Ring":[1,2,3],"Count":3,"Next":3}""")!;
        Assert.True(back.TryAdd("x", T0, Day));
        Assert.Equal(1, back.Count);
    }

    [Fact]
    public void Memory_follows_the_window_not_the_history()
    {
        var d = new EventDeduplicator();
        for (var hour = 0; hour < 96; hour++)
        {
            for (var i = 0; i < 100; i++)
            {
                d.TryAdd($"h{hour}-{i}", T0.AddHours(hour), Day);
            }
        }

        // 96 hours of 100 events an hour, 24 h window: ~2,500 ids in the window. Expired ids are dropped
        // when the arrays fill up, so at most about twice the window is held, never the 9,600 of history.
        Assert.InRange(d.Count, 2_400, 2 * 2_600);
        Assert.False(d.TryAdd("h72-0", T0.AddHours(95), Day));
        Assert.True(d.TryAdd("h70-0", T0.AddHours(95), Day));
    }
}
