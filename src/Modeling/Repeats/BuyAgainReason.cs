using System.Globalization;

namespace Cohortly.Modeling.Repeats;

/// <summary>The reason a buy-again slot shows: when the user bought the item and the cycle that made it due.</summary>
public static class BuyAgainReason
{
    /// <summary>The reason kind the API names for buy-again slots.</summary>
    public const string Kind = "buy-again";

    /// <summary>
    /// "you bought Coffee beans 28 days ago; usually re-bought every ~30 days" (the catalog's cycle), "…; you re-buy it
    /// every ~30 days" (the user's own), "…; buy it again" (an always-eligible item without a known cycle).
    /// </summary>
    public static string Text(string title, DueItem due)
    {
        ArgumentNullException.ThrowIfNull(title);
        var c = CultureInfo.InvariantCulture;
        var days = (int)Math.Floor(due.ElapsedDays);
        var when = days switch
        {
            0 => "today",
            1 => "1 day ago",
            _ => string.Create(c, $"{days} days ago"),
        };
        var interval = double.IsNaN(due.IntervalDays) ? 0 : Math.Max(1, (int)Math.Round(due.IntervalDays));
        return due.Source switch
        {
            RepeatCycleSource.User => string.Create(c, $"you bought {title} {when}; you re-buy it every ~{interval} {Days(interval)}"),
            RepeatCycleSource.Item or RepeatCycleSource.Category => string.Create(c, $"you bought {title} {when}; usually re-bought every ~{interval} {Days(interval)}"),
            _ => $"you bought {title} {when}; buy it again",
        };
    }

    private static string Days(int n) => n == 1 ? "day" : "days";
}
