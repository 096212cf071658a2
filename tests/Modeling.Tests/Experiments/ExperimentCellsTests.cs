using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Experiments;

public sealed class ExperimentCellsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static OutcomeRow Row(DateTimeOffset start, int cohort, string experiment, string variant, long exposures, long clicked, ServedStrategy strategy = ServedStrategy.CohortModel) =>
        new(start, new OutcomeKey(cohort, 1, experiment, variant, strategy), new OutcomeCounts(exposures, exposures * 3, clicked, 0, 0, 0, clicked, 0, 0));

    [Fact]
    public void Fixed_cells_sum_the_experiments_rows_per_cohort_and_variant_and_skip_the_rest()
    {
        var e = ExperimentDefinition.CohortModelVsGlobal("e", cohorts: [1, 2]);
        OutcomeRow[] rows =
        [
            Row(T0, 1, "e", "global-baseline", 10, 1),
            Row(T0.AddMinutes(1), 1, "e", "global-baseline", 5, 2, ServedStrategy.Explored),
            Row(T0, 1, "e", "cohort-model", 7, 3),
            Row(T0, 1, "other", "cohort-model", 100, 100),
            Row(T0, 1, "e", "not-a-variant", 100, 100),
            Row(T0, 3, "e", "cohort-model", 100, 100),
            Row(T0, 2, "e", "cohort-model", 4, 0),
            Row(T0.AddMinutes(5), 2, "e", "cohort-model", 40, 40),
        ];

        var cells = ExperimentCells.Fixed(e, rows, new Dictionary<int, DateTimeOffset> { [2] = T0.AddMinutes(5) });

        Assert.Equal(3, cells.Count);
        Assert.Equal((1, "global-baseline", 15L, 3L), (cells[0].CohortId, cells[0].Variant, cells[0].Counts.Exposures, cells[0].Counts.ClickedExposures));
        Assert.Equal((1, "cohort-model", 7L, 3L), (cells[1].CohortId, cells[1].Variant, cells[1].Counts.Exposures, cells[1].Counts.ClickedExposures));
        Assert.Equal((2, "cohort-model", 4L, 0L), (cells[2].CohortId, cells[2].Variant, cells[2].Counts.Exposures, cells[2].Counts.ClickedExposures));

        var evidence = ExperimentCells.Evidence(e, 1, cells);
        Assert.Equal(new ArmEvidence("global-baseline", 15, 3), evidence[0]);
        Assert.Equal(new ArmEvidence("cohort-model", 7, 3), evidence[1]);
    }

    [Fact]
    public void Weighted_sums_use_the_split_in_effect_in_each_minute()
    {
        var e = ExperimentDefinition.CohortModelVsGlobal("b", cohorts: [1]) with { Allocation = AllocationMode.ThompsonSampling };
        var steps = new Dictionary<int, IReadOnlyList<AllocationStep>> { [1] = [new AllocationStep(T0.AddMinutes(1), [0.2, 0.8])] };
        OutcomeRow[] rows =
        [
            Row(T0, 1, "b", "global-baseline", 10, 2),          // before the step: 50/50, weight 2
            Row(T0.AddMinutes(1), 1, "b", "global-baseline", 10, 1), // weight 5
            Row(T0.AddMinutes(1), 1, "b", "cohort-model", 40, 8),     // weight 1.25
        ];

        var sums = ExperimentCells.Weighted(e, rows, steps)[1];

        var baseline = sums[0].Sums;
        Assert.Equal(20, baseline.Count);
        Assert.Equal((10 * 2) + (10 * 5), baseline.Weights, 12);
        Assert.Equal((10 * 4) + (10 * 25), baseline.SquaredWeights, 12);
        Assert.Equal((2 * 2) + (1 * 5), baseline.WeightedRewards, 12);
        Assert.Equal((2 * 4) + (1 * 25), baseline.SquaredWeightedRewards, 12);
        var model = sums[1].Sums;
        Assert.Equal(40, model.Count);
        Assert.Equal(40 * 1.25, model.Weights, 12);
        Assert.Equal(8 * 1.25, model.WeightedRewards, 12);

        // The same sums one exposure at a time.
        var oneByOne = default(WeightedRewardSums);
        for (var i = 0; i < 40; i++)
        {
            oneByOne = oneByOne.Add(1.25, i < 8 ? 1 : 0);
        }

        Assert.Equal(oneByOne.SquaredWeightRewards, model.SquaredWeightRewards, 12);
        Assert.Equal(oneByOne.SquaredWeightedRewards, model.SquaredWeightedRewards, 12);
    }

    [Fact]
    public void The_split_in_effect_is_the_latest_started_step_and_a_bucket_picks_by_cumulative_share()
    {
        AllocationStep[] steps = [new(T0, [0.5, 0.5]), new(T0.AddMinutes(2), [0.1, 0.9])];
        Assert.Null(ExperimentCells.At(steps, T0.AddSeconds(-1)));
        Assert.Equal([0.5, 0.5], ExperimentCells.At(steps, T0.AddMinutes(1))!);
        Assert.Equal([0.1, 0.9], ExperimentCells.At(steps, T0.AddMinutes(2))!);
        Assert.Equal(0, ExperimentCells.Pick([0.1, 0.9], 0.05));
        Assert.Equal(1, ExperimentCells.Pick([0.1, 0.9], 0.1));
        Assert.Equal(2, ExperimentCells.Pick([0.2, 0.3, 0.5], 0.99));

        // With the configured shares, picking by the bucket is the fixed-split assignment.
        var e = new ExperimentDefinition { Id = "x", Variants = [new("a", 1), new("b", 2), new("c", 1)] };
        for (var u = 0; u < 300; u++)
        {
            var user = $"u{u}";
            Assert.Equal(ExperimentAssignment.Variant(e, user), e.Variants[ExperimentCells.Pick(ExperimentCells.Shares(e), ExperimentAssignment.Bucket("x", user))].Name);
        }
    }

    [Fact]
    public void A_plan_names_every_invalid_field()
    {
        var definition = new ExperimentDefinition
        {
            Id = "has space",
            Variants = [new("a", 1), new("b", 1)],
            Allocation = AllocationMode.ThompsonSampling,
            PrimaryMetric = ExperimentMetric.RevenuePerImpression,
        };
        var plan = new ExperimentPlan(definition, [VariantTreatment.None, new VariantTreatment(DiversityLambda: -1, Exploration: new EpsilonGreedyExploration(2), ExplorationSlots: 99)]);

        var fields = plan.Validate().Select(e => e.Field).ToArray();

        Assert.Equal(
            ["name", "variants[1].treatment.diversityLambda", "variants[1].treatment.exploration.epsilon", "variants[1].treatment.explorationSlots", "primaryMetric"],
            fields);
        Assert.Equal("minimumSampleSize", Assert.Single((plan with { Definition = definition with { Id = "ok", PrimaryMetric = ExperimentMetric.ClickThroughRate, MinimumSampleSize = 1 }, Treatments = [VariantTreatment.None, VariantTreatment.None] }).Validate()).Field);
        Assert.Equal("variants", Assert.Single((plan with { Definition = definition with { Id = "ok", PrimaryMetric = ExperimentMetric.ClickThroughRate }, Treatments = [VariantTreatment.None] }).Validate()).Field);
    }

    [Fact]
    public void A_treatment_replaces_only_the_policy_settings_it_names()
    {
        var cohort = new ServingPolicy(new EpsilonGreedyExploration(0.1), 0.9, 1);

        Assert.Same(cohort, VariantTreatment.None.Apply(cohort));
        Assert.Same(cohort, new VariantTreatment(GlobalWeights: true).Apply(cohort));
        Assert.Equal(new ServingPolicy(new EpsilonGreedyExploration(0.1), 0.5, 1), new VariantTreatment(DiversityLambda: 0.5).Apply(cohort));
        Assert.Equal(new ServingPolicy(new ThompsonExploration(), 0.9, 3), new VariantTreatment(Exploration: new ThompsonExploration(), ExplorationSlots: 3).Apply(cohort));
        Assert.True(VariantTreatment.DefaultFor(ExperimentDefinition.GlobalBaseline).GlobalWeights);
        Assert.Same(VariantTreatment.None, VariantTreatment.DefaultFor(ExperimentDefinition.CohortModel));
    }
}
