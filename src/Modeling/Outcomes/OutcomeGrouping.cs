using System.Globalization;

namespace Cohortly.Modeling.Outcomes;

/// <summary>What outcome rows are grouped by.</summary>
public enum OutcomeGroupBy
{
    Cohort = 0,
    Strategy = 1,
    Variant = 2,
    ModelVersion = 3,

    /// <summary>The merchandising rule that placed or re-scored the slot (<see cref="OutcomeGrouping.NoRule"/> for the rest, and every exposure).</summary>
    Rule = 4,
}

/// <summary>One bucket of a group, with its metrics.</summary>
public sealed record OutcomePointSummary(DateTimeOffset Start, OutcomeMetrics Metrics);

/// <summary>One group over the queried range: its totals and one point per bucket that had outcomes, oldest first.</summary>
public sealed record OutcomeGroupSummary(string Key, OutcomeMetrics Total, IReadOnlyList<OutcomePointSummary> Points);

/// <summary>Groups outcome rows and computes their metrics.</summary>
public static class OutcomeGrouping
{
    /// <summary>The variant group of keys served outside any experiment.</summary>
    public const string NoVariant = "none";

    /// <summary>The rule group of slots no rule placed or re-scored, and of every exposure (a response is not a rule's).</summary>
    public const string NoRule = "none";

    /// <summary>
    /// The group a key falls in: the cohort id (-1 without a cohort), the strategy's camel-case name, "experiment/variant"
    /// (<see cref="NoVariant"/> outside experiments), or the model version (0 before the first model).
    /// </summary>
    public static string KeyOf(in OutcomeKey key, OutcomeGroupBy groupBy) => groupBy switch
    {
        OutcomeGroupBy.Cohort => key.CohortId.ToString(CultureInfo.InvariantCulture),
        OutcomeGroupBy.Strategy => StrategyName(key.Strategy),
        OutcomeGroupBy.Variant => VariantName(key.Experiment, key.Variant),
        OutcomeGroupBy.ModelVersion => key.ModelVersion.ToString(CultureInfo.InvariantCulture),
        OutcomeGroupBy.Rule => string.IsNullOrEmpty(key.Rule) ? NoRule : key.Rule,
        _ => throw new ArgumentOutOfRangeException(nameof(groupBy), groupBy, "unknown grouping"),
    };

    public static string StrategyName(ServedStrategy strategy) => strategy switch
    {
        ServedStrategy.CohortModel => "cohortModel",
        ServedStrategy.GlobalModel => "globalModel",
        ServedStrategy.Popularity => "popularity",
        ServedStrategy.ColdStart => "coldStart",
        ServedStrategy.Explored => "explored",
        ServedStrategy.BuyAgain => "buyAgain",
        _ => strategy.ToString(),
    };

    public static string VariantName(string? experiment, string? variant) =>
        string.IsNullOrEmpty(experiment) ? NoVariant : $"{experiment}/{variant}";

    /// <summary>Sums the rows per group and per bucket start; groups ordered by key (numeric keys numerically).</summary>
    public static List<OutcomeGroupSummary> Summarize(IEnumerable<OutcomeRow> rows, OutcomeGroupBy groupBy)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var groups = new Dictionary<string, SortedDictionary<DateTimeOffset, OutcomeCounts>>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var key = KeyOf(row.Key, groupBy);
            if (!groups.TryGetValue(key, out var points))
            {
                points = [];
                groups[key] = points;
            }

            points[row.Start] = points.GetValueOrDefault(row.Start).Plus(row.Counts);
        }

        var result = new List<OutcomeGroupSummary>(groups.Count);
        foreach (var (key, points) in groups)
        {
            var total = default(OutcomeCounts);
            var summaries = new List<OutcomePointSummary>(points.Count);
            foreach (var (start, counts) in points)
            {
                total = total.Plus(counts);
                summaries.Add(new OutcomePointSummary(start, OutcomeMetrics.From(counts)));
            }

            result.Add(new OutcomeGroupSummary(key, OutcomeMetrics.From(total), summaries));
        }

        var numeric = groupBy is OutcomeGroupBy.Cohort or OutcomeGroupBy.ModelVersion;
        result.Sort((a, b) => numeric
            ? long.Parse(a.Key, CultureInfo.InvariantCulture).CompareTo(long.Parse(b.Key, CultureInfo.InvariantCulture))
            : string.CompareOrdinal(a.Key, b.Key));
        return result;
    }
}
