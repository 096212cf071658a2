using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.Statistics;

public sealed class ExperimentAnalysisTests
{
    [Fact]
    public void Summary_combines_z_test_bayes_holm_and_srm()
    {
        var summary = ExperimentAnalysis.Summarize(
        [
            new VariantCounts("control", 1000, 200),
            new VariantCounts("cohort-model", 1000, 250),
            new VariantCounts("popular", 1000, 205),
        ]);

        Assert.Equal("control", summary.Control);
        Assert.Equal(0.2, summary.ControlRate, 1e-12);
        Assert.Equal(2, summary.Treatments.Count);

        var strong = summary.Treatments[0];
        Assert.Equal(0.007419649261025693, strong.Test!.PValue, 1e-9);
        // Holm with two tests: the smaller p is doubled.
        Assert.Equal(2 * 0.007419649261025693, strong.AdjustedPValue, 1e-9);
        Assert.True(strong.Significant);
        Assert.InRange(strong.ProbabilityBeatsControl, 0.99, 1);

        var weak = summary.Treatments[1];
        Assert.False(weak.Significant);
        Assert.InRange(weak.ProbabilityBeatsControl, 0.55, 0.7);
        Assert.False(summary.SampleRatio.IsMismatch);
    }

    [Fact]
    public void Summary_flags_sample_ratio_mismatch_from_units_when_given()
    {
        var summary = ExperimentAnalysis.Summarize(
        [
            new VariantCounts("control", 1000, 100, Units: 10_000),
            new VariantCounts("treatment", 1000, 100, Units: 11_000),
        ]);

        Assert.True(summary.SampleRatio.IsMismatch);
        Assert.Equal(2 * 500.0 * 500.0 / 10_500, summary.SampleRatio.ChiSquare, 1e-9);
    }

    [Fact]
    public void Summary_tolerates_a_variant_without_impressions()
    {
        var summary = ExperimentAnalysis.Summarize(
        [
            new VariantCounts("control", 100, 10),
            new VariantCounts("new", 0, 0),
        ]);

        Assert.Null(summary.Treatments[0].Test);
        Assert.Equal(1, summary.Treatments[0].AdjustedPValue);
        Assert.False(summary.Treatments[0].Significant);
    }
}
