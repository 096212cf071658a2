using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Tests.Outcomes;

public sealed class OutcomeGroupingTests
{
    private static readonly DateTimeOffset H0 = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static OutcomeRow Row(int hour, int cohort, long model, string experiment, string variant, ServedStrategy strategy, long impressions, long clicks) =>
        new(H0.AddHours(hour), new OutcomeKey(cohort, model, experiment, variant, strategy), new OutcomeCounts(1, impressions, clicks, 0, 0, 0, clicks > 0 ? 1 : 0, 0, 0));

    private static readonly OutcomeRow[] Rows =
    [
        Row(0, 10, 2, "e1", "control", ServedStrategy.GlobalModel, 10, 1),
        Row(0, 10, 2, "e1", "treatment", ServedStrategy.CohortModel, 10, 2),
        Row(1, 2, 3, string.Empty, string.Empty, ServedStrategy.CohortModel, 20, 4),
        Row(1, -1, 3, string.Empty, string.Empty, ServedStrategy.ColdStart, 5, 0),
    ];

    [Fact]
    public void Grouping_by_strategy_sums_across_cohorts_and_keeps_one_point_per_bucket()
    {
        var groups = OutcomeGrouping.Summarize(Rows, OutcomeGroupBy.Strategy);

        Assert.Equal(["cohortModel", "coldStart", "globalModel"], groups.Select(g => g.Key)); // ordinal order of the keys
        var cohortModel = groups[0];
        Assert.Equal(30, cohortModel.Total.Impressions);
        Assert.Equal(6, cohortModel.Total.Clicks);
        Assert.Equal([H0, H0.AddHours(1)], cohortModel.Points.Select(p => p.Start));
        Assert.Equal([10L, 20], cohortModel.Points.Select(p => p.Metrics.Impressions));
    }

    [Fact]
    public void Grouping_by_cohort_orders_ids_numerically_with_no_cohort_first()
    {
        var groups = OutcomeGrouping.Summarize(Rows, OutcomeGroupBy.Cohort);

        Assert.Equal(["-1", "2", "10"], groups.Select(g => g.Key));
        Assert.Equal(20, groups[2].Total.Impressions);
    }

    [Fact]
    public void Grouping_by_variant_names_experiment_and_variant_and_none_outside_experiments()
    {
        var groups = OutcomeGrouping.Summarize(Rows, OutcomeGroupBy.Variant);

        Assert.Equal(["e1/control", "e1/treatment", "none"], groups.Select(g => g.Key));
        Assert.Equal(25, groups[2].Total.Impressions);
    }

    [Fact]
    public void Grouping_by_model_version()
    {
        var groups = OutcomeGrouping.Summarize(Rows, OutcomeGroupBy.ModelVersion);

        Assert.Equal(["2", "3"], groups.Select(g => g.Key));
        Assert.Equal(2, groups[0].Total.Exposures);
    }
}
