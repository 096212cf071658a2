using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Tests.Robustness;

/// <summary>
/// The profile is a sink for whatever the log holds, including data written before the edge bounded it: nothing fed
/// to it may make a feature non-finite or its JSON unwritable (System.Text.Json refuses NaN and infinities).
/// </summary>
public sealed class ProfileGuardTests
{
    private static readonly long T0 = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly ItemInfo Shoe = new("shoe", ["fashion"], 50);

    private static Interaction Event(InteractionType type, long t, double? value, string item = "shoe") => new("u1", item, type, value, t, "mobile");

    private static void AssertFiniteAndSerializable(UserProfile p)
    {
        var features = ProfileFeatures.Extract(p, T0 + 86_400_000);
        Assert.All(features, f => Assert.True(float.IsFinite(f), $"feature is {f}"));
        var json = JsonSerializer.Serialize(p);
        var back = JsonSerializer.Deserialize<UserProfile>(json)!;
        Assert.Equal(features, ProfileFeatures.Extract(back, T0 + 86_400_000));
    }

    [Fact]
    public void Two_purchases_of_1e308_keep_monetary_finite_and_the_profile_serializable()
    {
        var p = new UserProfile();
        p.Apply(Event(InteractionType.Purchase, T0, 1e308), Shoe, ProfileOptions.Default);
        p.Apply(Event(InteractionType.Purchase, T0 + 1000, 1e308), Shoe, ProfileOptions.Default);

        // Each order counts at most the documented maximum value.
        Assert.Equal(2 * InteractionBounds.MaxValue, p.Monetary);
        AssertFiniteAndSerializable(p);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(1e308)]
    [InlineData(-1e308)]
    public void Rating_with_a_value_outside_any_scale_leaves_affinity_and_recent_items_finite(double value)
    {
        var p = new UserProfile();
        p.Apply(Event(InteractionType.View, T0, null), Shoe, ProfileOptions.Default);
        p.Apply(Event(InteractionType.Rating, T0 + 1000, value, item: "boot"), Shoe, ProfileOptions.Default);

        Assert.All(p.CategoryAffinity.Values, v => Assert.True(double.IsFinite(v)));
        Assert.All(p.RecentItems, r => Assert.True(float.IsFinite(r.Value)));
        AssertFiniteAndSerializable(p);
    }

    [Fact]
    public void Catalog_price_of_1e308_on_every_event_keeps_the_price_sum_finite()
    {
        var whale = new ItemInfo("yacht", ["boats"], 1e308);
        var p = new UserProfile();
        for (var i = 0; i < 5; i++)
        {
            p.Apply(Event(InteractionType.View, T0 + i, null, "yacht"), whale, ProfileOptions.Default);
        }

        Assert.True(double.IsFinite(p.PriceSum));
        AssertFiniteAndSerializable(p);
    }

    [Fact]
    public void State_already_holding_infinities_and_nan_reads_back_finite()
    {
        // What an older version could leave behind: sums that overflowed before the guards existed.
        var p = new UserProfile
        {
            Monetary = double.PositiveInfinity,
            SessionSeconds = double.NaN,
            PriceSum = double.PositiveInfinity,
            PricedEvents = 1,
            Sessions = 1,
            CategoryAffinity = new Dictionary<string, double> { ["boats"] = double.NaN, ["fashion"] = 2, ["cars"] = double.PositiveInfinity },
        };
        p.Counts[(int)InteractionType.Purchase] = 2;

        Assert.Equal(UserProfile.MaxSum, p.Monetary);
        Assert.Equal(0, p.SessionSeconds);
        Assert.Equal(UserProfile.MaxSum, p.PriceSum);
        Assert.Equal(["fashion"], p.CategoryAffinity.Keys);
        AssertFiniteAndSerializable(p);
    }

    [Fact]
    public void Stored_json_with_named_infinities_is_read_and_clipped()
    {
        const string json = """{"Counts":[0,0,0,1,0,0],"Monetary":"Infinity","SessionSeconds":"NaN","PriceSum":"-Infinity","CategoryAffinity":{"a":"NaN","b":1.5}}""";

        var p = JsonSerializer.Deserialize<UserProfile>(json)!;

        Assert.Equal(UserProfile.MaxSum, p.Monetary);
        Assert.Equal(0, p.SessionSeconds);
        Assert.Equal(0, p.PriceSum);
        Assert.Equal(1.5, Assert.Single(p.CategoryAffinity).Value);
        AssertFiniteAndSerializable(p);
    }

    [Fact]
    public void Features_clip_a_profile_mutated_to_extremes_without_going_through_apply()
    {
        var p = new UserProfile { Sessions = 0, ActiveDays = 0, LastSeenMs = long.MinValue, FirstSeenMs = long.MaxValue, LongestGapMs = long.MaxValue };
        p.Counts[(int)InteractionType.View] = long.MaxValue;
        p.HourOfDay[3] = int.MaxValue;

        var features = ProfileFeatures.Extract(p, long.MaxValue);

        Assert.All(features, f => Assert.True(float.IsFinite(f), $"feature is {f}"));
    }
}
