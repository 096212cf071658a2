namespace Cohortly.Modeling.Features;

/// <summary>How a profile feature is stored and what its natural unit means, for people reading cohorts.</summary>
/// <param name="Logarithmic">Stored as log(1 + x): the natural value is exp(stored) − 1.</param>
public sealed record FeatureUnit(string Name, string Unit, string Explanation, bool Logarithmic)
{
    /// <summary>The stored (segmentation-space, unstandardized) value in its natural unit.</summary>
    public double Natural(double stored) => Logarithmic ? Math.Exp(stored) - 1 : stored;
}

/// <summary>
/// The units of <see cref="ProfileFeatures"/>, kept next to the features' definitions so a new feature cannot reach a
/// dashboard without saying what it measures. Logarithmic features average as logs, so a population's or centroid's
/// natural value is a geometric-style typical value, not an arithmetic mean.
/// </summary>
public static class FeatureUnits
{
    private static readonly Dictionary<string, FeatureUnit> Units = new(StringComparer.Ordinal)
    {
        ["activity"] = new("activity", "events", "events other than dismissals, all time", true),
        ["recency_days"] = new("recency_days", "days", "days since the last event", true),
        ["frequency"] = new("frequency", "events/day", "events per active day", true),
        ["monetary"] = new("monetary", "currency", "total purchase value", true),
        ["purchase_rate"] = new("purchase_rate", "ratio", "purchases per view or click", false),
        ["avg_order_value"] = new("avg_order_value", "currency", "purchase value per purchase", true),
        ["cart_rate"] = new("cart_rate", "ratio", "add-to-carts per view or click", false),
        ["session_minutes"] = new("session_minutes", "minutes", "average session length (30-minute gap ends a session)", true),
        ["category_focus"] = new("category_focus", "share", "share of the decayed category affinity in the top category (1 = one category only)", false),
        ["avg_item_price"] = new("avg_item_price", "currency", "average price of the items interacted with", true),
        ["dismiss_rate"] = new("dismiss_rate", "share", "share of events that are dismissals", false),
        ["mobile_share"] = new("mobile_share", "share", "share of events from mobile or app devices", false),
        ["night_share"] = new("night_share", "share", "share of events between 22:00 and 06:00 UTC", false),
        ["tenure_days"] = new("tenure_days", "days", "days between the first and the last event", true),
        ["longest_gap_days"] = new("longest_gap_days", "days", "longest gap between two events", true),
    };

    /// <summary>The unit of a feature; a name this build does not know is reported as a plain standardized value.</summary>
    public static FeatureUnit Of(string name) =>
        Units.TryGetValue(name, out var unit) ? unit : new FeatureUnit(name, "value", "a feature this build does not describe", false);
}
