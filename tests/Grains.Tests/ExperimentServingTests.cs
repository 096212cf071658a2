using Cohortly.Contracts;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Grains.Tests;

/// <summary>An experiment in the serving path: the user grain asks the silo's cache, serves the treatment, counts under the variant.</summary>
[Collection(TrainingCollection.Name)]
public sealed class ExperimentServingTests(TrainingFixture fixture)
{
    [Fact]
    public async Task Responses_in_an_experiment_cohort_carry_the_users_variant_serve_its_treatment_and_count_under_it()
    {
        var (_, bundle) = await fixture.ServingActiveVersion();
        var cohort = fixture.LargestTrainedCohort(bundle);

        var definition = ExperimentDefinition.CohortModelVsGlobal("serving-experiment", cohorts: [cohort]);
        var plan = new ExperimentPlan(definition, [VariantTreatment.DefaultFor(ExperimentDefinition.GlobalBaseline), VariantTreatment.None]);
        await using var experiment = await fixture.StartExperiment(plan);
        var started = DateTimeOffset.UtcNow;
        var served = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var user in fixture.World.Users)
        {
            var response = await fixture.Client.GetGrain<IUserGrain>(user.Id).Recommend(new RecommendationRequest(5, Explore: false));
            if (response.CohortId != cohort)
            {
                Assert.Null(response.Experiment);
                Assert.Null(response.Variant);
                continue;
            }

            var expected = ExperimentAssignment.Assign(definition, user.Id, cohort);
            Assert.Equal("serving-experiment", response.Experiment);
            Assert.Equal(expected, response.Variant);
            // The baseline arm is scored with the global weights (not a fallback); the other arm with the cohort's.
            Assert.Equal(expected == ExperimentDefinition.GlobalBaseline ? "global-model" : "cohort-model", response.Strategy);
            Assert.False(response.Fallback);
            served[expected!] = served.GetValueOrDefault(expected!) + 1;
        }

        Assert.Equal(2, served.Count);

        // Each response's exposure reaches the cohort's outcome grain under the experiment and its variant.
        await Eventually.True(
            async () =>
            {
                var rows = await fixture.Client.GetGrain<IOutcomeGrain>(cohort).GetRows(OutcomeGranularity.Minute, started.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
                return served.All(v => rows.Where(r => r.Key.Experiment == "serving-experiment" && r.Key.Variant == v.Key).Sum(r => r.Counts.Exposures) == v.Value);
            },
            "the exposures are counted per variant");
    }
}
