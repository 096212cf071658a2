using Cohortly.Contracts;

namespace Cohortly.Modeling.Features;

/// <summary>
/// The fixed feature vector used for segmentation. Heavy-tailed quantities are log-compressed so
/// that standardization is not dominated by a few whales.
/// </summary>
public static class ProfileFeatures
{
    private static readonly string[] FeatureNames =
    [
        "activity",
        "recency_days",
        "frequency",
        "monetary",
        "purchase_rate",
        "avg_order_value",
        "cart_rate",
        "session_minutes",
        "category_focus",
        "avg_item_price",
        "dismiss_rate",
        "mobile_share",
        "night_share",
        "tenure_days",
        "longest_gap_days",
    ];

    public static IReadOnlyList<string> Names => FeatureNames;

    /// <summary>The one feature that depends on the clock it is measured at (the others change only with events).</summary>
    public const string RecencyName = "recency_days";

    public static int Count => FeatureNames.Length;

    public static float[] Extract(UserProfile profile, long nowMs)
    {
        var v = new float[Count];
        Extract(profile, nowMs, v);
        return v;
    }

    public static void Extract(UserProfile p, long nowMs, Span<float> destination)
    {
        if (destination.Length < Count)
        {
            throw new ArgumentException($"destination needs {Count} slots", nameof(destination));
        }

        const double msPerDay = 86_400_000;
        var total = (double)p.TotalEvents;
        var engaged = total - p.Count(InteractionType.Dismiss);
        var browse = Math.Max(1.0, p.Count(InteractionType.View) + p.Count(InteractionType.Click));
        var purchases = (double)p.Count(InteractionType.Purchase);

        destination[0] = Log1p(engaged);
        destination[1] = total == 0 ? 0 : RecencyDays(p.LastSeenMs, nowMs);
        destination[2] = Log1p(total / Math.Max(1, p.ActiveDays));
        destination[3] = Log1p(p.Monetary);
        destination[4] = (float)(purchases / browse);
        destination[5] = Log1p(purchases == 0 ? 0 : p.Monetary / purchases);
        destination[6] = (float)(p.Count(InteractionType.AddToCart) / browse);
        destination[7] = Log1p(p.Sessions == 0 ? 0 : p.SessionSeconds / 60.0 / p.Sessions);
        destination[8] = (float)CategoryFocus(p);
        destination[9] = Log1p(p.PricedEvents == 0 ? 0 : p.PriceSum / p.PricedEvents);
        destination[10] = total == 0 ? 0 : (float)(p.Count(InteractionType.Dismiss) / total);
        destination[11] = (float)MobileShare(p);
        destination[12] = (float)NightShare(p);
        destination[13] = total == 0 ? 0 : Log1p((p.LastSeenMs - p.FirstSeenMs) / msPerDay);
        destination[14] = Log1p(p.LongestGapMs / msPerDay);

        // Last line of defence for segmentation and training: whatever a profile holds, every feature is finite.
        for (var i = 0; i < Count; i++)
        {
            if (!float.IsFinite(destination[i]))
            {
                destination[i] = 0;
            }
        }
    }

    /// <summary><c>recency_days</c> of a user whose latest event was at <paramref name="lastSeenMs"/>, measured at <paramref name="nowMs"/>.</summary>
    public static float RecencyDays(long lastSeenMs, long nowMs)
    {
        var value = Log1p(Math.Max(0, nowMs - lastSeenMs) / 86_400_000.0);
        return float.IsFinite(value) ? value : 0;
    }

    /// <summary>log(1 + x) of x clipped to [0, <see cref="UserProfile.MaxSum"/>]; NaN counts as 0.</summary>
    private static float Log1p(double x) => double.IsNaN(x) ? 0 : (float)Math.Log(1 + Math.Clamp(x, 0, UserProfile.MaxSum));

    private static double CategoryFocus(UserProfile p)
    {
        double sum = 0, max = 0;
        foreach (var value in p.CategoryAffinity.Values)
        {
            if (!double.IsFinite(value) || value <= 0)
            {
                continue;
            }

            sum += value;
            max = Math.Max(max, value);
        }

        return sum <= 0 ? 0 : max / sum;
    }

    private static double MobileShare(UserProfile p)
    {
        double all = 0, mobile = 0;
        foreach (var (device, n) in p.Devices)
        {
            all += n;
            if (device.Equals("mobile", StringComparison.OrdinalIgnoreCase) || device.Equals("app", StringComparison.OrdinalIgnoreCase))
            {
                mobile += n;
            }
        }

        return all == 0 ? 0 : mobile / all;
    }

    private static double NightShare(UserProfile p)
    {
        double all = 0, night = 0;
        for (var h = 0; h < 24; h++)
        {
            all += p.HourOfDay[h];
            if (h >= 22 || h < 6)
            {
                night += p.HourOfDay[h];
            }
        }

        return all == 0 ? 0 : night / all;
    }
}
