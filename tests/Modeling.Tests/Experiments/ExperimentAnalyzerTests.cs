using System.Globalization;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Statistics;
using Xunit.Abstractions;

namespace Cohortly.Modeling.Tests.Experiments;

public sealed class ExperimentAnalyzerTests(ITestOutputHelper output)
{
    private static readonly ExperimentDefinition CohortModel = ExperimentDefinition.CohortModelVsGlobal("cm-vs-global") with
    {
        Guardrails = [ExperimentMetric.ConversionRate],
        MinimumSampleSize = 1000,
        MinimumDetectableLift = 0.1,
    };

    [Fact]
    public void Planted_lift_in_two_cohorts_is_detected_there_and_not_in_the_others()
    {
        var baseCtr = new[] { 0.04, 0.06, 0.05, 0.08, 0.07, 0.05 };
        var ctr = new double[6][];
        for (var c = 0; c < 6; c++)
        {
            var lift = c is 1 or 4 ? 1.25 : 1.0;
            ctr[c] = [baseCtr[c], baseCtr[c] * lift];
        }

        var sim = new ExperimentSimulation(CohortModel, ctr, ExperimentSimulation.Uniform(6, 2, 0.02), new Random(12), hashUsers: true);
        sim.Run(60_000);
        var report = ExperimentAnalyzer.Analyze(CohortModel, sim.Cells());

        Assert.Equal(6, report.Cohorts.Count);
        foreach (var cohort in report.Cohorts)
        {
            var primary = Assert.Single(cohort.Primary);
            Assert.Equal(ExperimentDefinition.CohortModel, primary.Variant);
            Assert.False(cohort.SampleRatio!.IsMismatch);
            if (cohort.CohortId is 1 or 4)
            {
                Assert.Equal(ExperimentDecision.VariantBetter, primary.Decision);
                Assert.InRange(0.25, primary.RelativeLiftLower!.Value, primary.RelativeLiftUpper!.Value);
                Assert.InRange(primary.Difference, primary.Sequential.SequenceLower, primary.Sequential.SequenceUpper);
                Assert.True(primary.Sequential.SequenceLower > 0);
                Assert.True(cohort.Arms[1].ProbabilityBest > 0.99);
            }
            else
            {
                Assert.Equal(ExperimentDecision.KeepRunning, primary.Decision);
            }

            Assert.True(primary.AdjustedPValue >= primary.Sequential.PValue);
        }

        Assert.Empty(report.GuardrailActions);
        Assert.Equal(ExperimentDecision.VariantBetter, report.Pooled.Primary[0].Decision);
    }

    [Fact]
    public void Null_experiments_read_at_every_look_keep_false_positives_under_alpha()
    {
        const int experiments = 200;
        const int looks = 10;
        const int cohorts = 4;
        var familyFalsePositives = 0;
        var pooledFalsePositives = 0;
        var guardrailFirings = 0;
        var naivePeekingFalsePositives = 0;
        for (var e = 0; e < experiments; e++)
        {
            var sim = new ExperimentSimulation(
                CohortModel,
                ExperimentSimulation.Uniform(cohorts, 2, 0.05),
                ExperimentSimulation.Uniform(cohorts, 2, 0.02),
                new Random(1000 + e));
            ExperimentReport? report = null;
            bool family = false, pooled = false, naive = false;
            var guardrailCohorts = new HashSet<int>();
            for (var look = 0; look < looks; look++)
            {
                sim.Run(4000);
                report = ExperimentAnalyzer.Analyze(CohortModel, sim.Cells(), report);
                foreach (var cohort in report.Cohorts)
                {
                    var primary = cohort.Primary[0];
                    family |= primary.Decision is ExperimentDecision.VariantBetter or ExperimentDecision.VariantWorse;
                    naive |= primary.PValue < 0.05;
                }

                foreach (var action in report.GuardrailActions)
                {
                    guardrailCohorts.Add(action.CohortId);
                }

                pooled |= report.Pooled.Primary[0].Decision is ExperimentDecision.VariantBetter or ExperimentDecision.VariantWorse;
            }

            familyFalsePositives += family ? 1 : 0;
            pooledFalsePositives += pooled ? 1 : 0;
            naivePeekingFalsePositives += naive ? 1 : 0;
            guardrailFirings += guardrailCohorts.Count;
        }

        var familyRate = (double)familyFalsePositives / experiments;
        var guardrailRate = (double)guardrailFirings / (experiments * cohorts);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{experiments} null experiments x {cohorts} cohorts x {looks} looks (2,000 exposures per arm per look, CTR 5 %):"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  family-wise false-positive rate (any cohort, any look, Holm + mSPRT): {familyRate:0.000}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  pooled false-positive rate (any look): {(double)pooledFalsePositives / experiments:0.000}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  guardrail firing rate per cohort (any look): {guardrailRate:0.000}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  for contrast, unadjusted z-test p < 0.05 at any look in any cohort: {(double)naivePeekingFalsePositives / experiments:0.000}"));
        Assert.True(familyRate <= 0.05, $"family-wise false-positive rate {familyRate}");
        Assert.True((double)pooledFalsePositives / experiments <= 0.05);
        Assert.True(guardrailRate <= 0.05, $"guardrail firing rate {guardrailRate}");
        // The peeking problem the sequential test exists for: the naive rule is far above α here.
        Assert.True(naivePeekingFalsePositives > 2 * familyFalsePositives);
    }

    [Fact]
    public void A_55_45_split_configured_as_50_50_is_flagged_by_srm_and_blocks_decisions()
    {
        var ctr = new[] { new[] { 0.05, 0.07 }, new[] { 0.05, 0.05 } };
        var broken = new ExperimentSimulation(CohortModel, ctr, ExperimentSimulation.Uniform(2, 2, 0.02), new Random(3), split: [0.55, 0.45]);
        broken.Run(20_000);
        var report = ExperimentAnalyzer.Analyze(CohortModel, broken.Cells());
        Assert.All(report.Cohorts, c => Assert.True(c.SampleRatio!.IsMismatch));
        Assert.All(report.Cohorts, c => Assert.Equal(ExperimentDecision.AllocationBroken, c.Primary[0].Decision));
        Assert.True(report.Pooled.SampleRatio!.IsMismatch);

        var healthy = new ExperimentSimulation(CohortModel, ctr, ExperimentSimulation.Uniform(2, 2, 0.02), new Random(3));
        healthy.Run(20_000);
        Assert.All(ExperimentAnalyzer.Analyze(CohortModel, healthy.Cells()).Cohorts, c => Assert.False(c.SampleRatio!.IsMismatch));
    }

    [Fact]
    public void Guardrail_returns_a_cohort_to_baseline_when_the_variant_harms_conversion_there()
    {
        var cvr = ExperimentSimulation.Uniform(3, 2, 0.03);
        cvr[2][1] = 0.02;
        var sim = new ExperimentSimulation(CohortModel, ExperimentSimulation.Uniform(3, 2, 0.05), cvr, new Random(7));
        sim.Run(50_000);
        var report = ExperimentAnalyzer.Analyze(CohortModel, sim.Cells());

        var action = Assert.Single(report.GuardrailActions);
        Assert.Equal(2, action.CohortId);
        Assert.Equal(ExperimentDefinition.CohortModel, action.Variant);
        Assert.Equal(ExperimentMetric.ConversionRate, action.Evidence.Metric);
        Assert.True(action.Evidence.Sequential.SequenceUpper < 0);
        Assert.True(action.Evidence.Sequential.PValue <= CohortModel.GuardrailAlpha);
    }

    [Fact]
    public void Pooled_lift_is_stratified_so_a_cohort_mix_difference_is_not_an_effect()
    {
        // No effect in either cohort, but the variant's traffic comes mostly from the high-CTR cohort.
        var cells = new List<ExperimentCell>
        {
            Cell(0, ExperimentDefinition.GlobalBaseline, 2000, 200),
            Cell(0, ExperimentDefinition.CohortModel, 8000, 800),
            Cell(1, ExperimentDefinition.GlobalBaseline, 8000, 160),
            Cell(1, ExperimentDefinition.CohortModel, 2000, 40),
        };
        var report = ExperimentAnalyzer.Analyze(CohortModel, cells);
        var pooled = report.Pooled.Primary[0];
        Assert.Equal(0, pooled.Difference, 12);

        // The naive sum would report 8.4 % vs 3.6 %.
        var naive = TwoProportionZTest.Run(10_000, 360, 10_000, 840);
        Assert.True(naive.Difference > 0.04);
    }

    [Fact]
    public void Revenue_per_impression_gets_a_welch_interval_from_revenue_and_its_squares()
    {
        var random = new Random(5);
        var a = new double[3000];
        var b = new double[2000];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = random.NextDouble() < 0.1 ? 10 + (20 * random.NextDouble()) : 0;
        }

        for (var i = 0; i < b.Length; i++)
        {
            b[i] = random.NextDouble() < 0.1 ? 12 + (30 * random.NextDouble()) : 0;
        }

        var result = WelchTest.FromSums(a.Length, Sum(a, 1), Sum(a, 2), b.Length, Sum(b, 1), Sum(b, 2));
        var (ma, va) = (a.Average(), Variance(a));
        var (mb, vb) = (b.Average(), Variance(b));
        var se2 = (va / a.Length) + (vb / b.Length);
        var df = se2 * se2 / ((va * va / a.Length / a.Length / (a.Length - 1)) + (vb * vb / b.Length / b.Length / (b.Length - 1)));
        Assert.Equal(mb - ma, result.Difference, 10);
        Assert.Equal(df, result.DegreesOfFreedom, 6);
        var t = StudentTDistribution.InverseCdf(0.975, df);
        Assert.Equal(mb - ma - (t * Math.Sqrt(se2)), result.ConfidenceLower, 9);
        Assert.Equal(2.2281388519649385, StudentTDistribution.InverseCdf(0.975, 10), 9);

        var experiment = CohortModel with { PrimaryMetric = ExperimentMetric.RevenuePerImpression, Guardrails = [] };
        var cells = new List<ExperimentCell>
        {
            new(0, ExperimentDefinition.GlobalBaseline, new OutcomeCounts(600, a.Length, 0, 0, 0, Sum(a, 1), 0, 0, Sum(a, 2))),
            new(0, ExperimentDefinition.CohortModel, new OutcomeCounts(400, b.Length, 0, 0, 0, Sum(b, 1), 0, 0, Sum(b, 2))),
        };
        var comparison = ExperimentAnalyzer.Analyze(experiment, cells).Cohorts[0].Primary[0];
        Assert.Equal(result.ConfidenceLower, comparison.DifferenceLower, 9);
        Assert.Equal(result.PValue, comparison.PValue, 9);
        Assert.Null(ExperimentAnalyzer.Analyze(experiment, cells).Cohorts[0].Arms[0].ProbabilityBest);
    }

    [Fact]
    public void Always_valid_p_value_never_rises_between_looks()
    {
        var sim = new ExperimentSimulation(CohortModel, [[0.05, 0.056]], [[0.02, 0.02]], new Random(9));
        ExperimentReport? report = null;
        var last = 1.0;
        for (var look = 0; look < 15; look++)
        {
            sim.Run(3000);
            report = ExperimentAnalyzer.Analyze(CohortModel, sim.Cells(), report);
            var p = report.Cohorts[0].Primary[0].Sequential.PValue;
            Assert.True(p <= last);
            last = p;
        }

        Assert.True(last < 1);
    }

    [Fact]
    public void Mixture_sprt_matches_its_closed_form()
    {
        var r = AlwaysValidTest.Run(0.01, 1e-5, 0.004, 0.05);
        var total = 1e-5 + 1.6e-5;
        var expectedLog = (0.5 * Math.Log(1e-5 / total)) + (1.6e-5 * 1e-4 / (2 * 1e-5 * total));
        Assert.Equal(expectedLog, r.LogLikelihoodRatio, 12);
        Assert.Equal(Math.Min(1, Math.Exp(-expectedLog)), r.PValue, 12);
        var half = Math.Sqrt(1e-5 * total / 1.6e-5 * ((2 * Math.Log(20)) + Math.Log(total / 1e-5)));
        Assert.Equal(0.01 - half, r.SequenceLower, 12);
        Assert.Equal(1.0, AlwaysValidTest.Run(0, 1e-5, 0.004).PValue);
    }

    [Fact]
    public void Three_variant_lambda_test_applies_holm_across_cohorts_and_variants()
    {
        var experiment = new ExperimentDefinition
        {
            Id = "lambda-ab",
            Variants = [new("global-baseline", 1), new("lambda-0.3", 1), new("lambda-0.7", 1)],
            MinimumDetectableLift = 0.1,
        };
        double[][] ctr = [[0.05, 0.05, 0.065], [0.05, 0.05, 0.05]];
        var sim = new ExperimentSimulation(experiment, ctr, ExperimentSimulation.Uniform(2, 3, 0.02), new Random(17));
        sim.Run(90_000);
        var report = ExperimentAnalyzer.Analyze(experiment, sim.Cells(), random: new Random(1));

        var raw = new List<double>();
        foreach (var cohort in report.Cohorts)
        {
            Assert.Equal(2, cohort.Primary.Count);
            Assert.Equal(1, cohort.Arms.Sum(a => a.ProbabilityBest!.Value), 9);
            raw.AddRange(cohort.Primary.Select(c => c.Sequential.PValue));
        }

        var expected = MultipleTesting.HolmBonferroni(raw.ToArray());
        var adjusted = report.Cohorts.SelectMany(c => c.Primary).Select(c => c.AdjustedPValue).ToArray();
        Assert.Equal(expected, adjusted);
        Assert.Equal(ExperimentDecision.VariantBetter, report.Cohorts[0].Primary[1].Decision);
        Assert.Equal(ExperimentDecision.KeepRunning, report.Cohorts[1].Primary[1].Decision);
        Assert.True(report.Cohorts[0].Arms[2].ProbabilityBest > 0.95);
        Assert.Throws<ArgumentNullException>(() => ExperimentAnalyzer.Analyze(experiment, sim.Cells()));
    }

    [Fact]
    public void Bandit_experiments_are_refused_by_the_fixed_split_analysis()
    {
        var bandit = CohortModel with { Allocation = AllocationMode.ThompsonSampling };
        var error = Assert.Throws<ArgumentException>(() => ExperimentAnalyzer.Analyze(bandit, []));
        Assert.Contains("ThompsonAllocator.Estimate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partial_window_with_more_clicked_than_exposures_is_clamped_not_fatal()
    {
        var cells = new List<ExperimentCell>
        {
            Cell(0, ExperimentDefinition.GlobalBaseline, 10, 12),
            Cell(0, ExperimentDefinition.CohortModel, 10, 3),
        };
        var report = ExperimentAnalyzer.Analyze(CohortModel, cells);
        Assert.Equal(1.0, report.Cohorts[0].Arms[0].PrimaryValue);
        Assert.Equal(ExperimentDecision.CollectMoreData, report.Cohorts[0].Primary[0].Decision);
    }

    private static ExperimentCell Cell(int cohort, string variant, long exposures, long clicked) =>
        new(cohort, variant, new OutcomeCounts(exposures, exposures, clicked, 0, 0, 0, clicked, 0, 0));

    private static double Sum(double[] x, int power)
    {
        var s = 0.0;
        foreach (var v in x)
        {
            s += power == 1 ? v : v * v;
        }

        return s;
    }

    private static double Variance(double[] x)
    {
        var m = x.Average();
        var s = 0.0;
        foreach (var v in x)
        {
            s += (v - m) * (v - m);
        }

        return s / (x.Length - 1);
    }
}
