using Cohortly.Contracts;
using Cohortly.Modeling.Experiments;

namespace Cohortly.Grains.Tests;

/// <summary>The learned ranker as an experiment variant: the treatment switches it on or off for the variant's users.</summary>
[Collection(TrainingCollection.Name)]
public sealed class RankerExperimentTests(TrainingFixture fixture)
{
    [Fact]
    public async Task A_ranker_on_off_experiment_serves_each_variant_with_or_without_the_ranker()
    {
        var (_, bundle) = await fixture.ServingActiveVersion();
        Assert.NotNull(bundle.Ranker?.Model);
        var cohort = fixture.LargestTrainedCohort(bundle);

        var definition = new ExperimentDefinition
        {
            Id = "ranker-experiment",
            Variants = [new ExperimentVariant("blend", 0.5), new ExperimentVariant("ranker", 0.5)],
            Cohorts = [cohort],
        };
        var plan = new ExperimentPlan(definition, [new VariantTreatment(Ranker: false), new VariantTreatment(Ranker: true)]);
        await using var experiment = await fixture.StartExperiment(plan);
        var served = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var user in fixture.World.Users.Take(120))
        {
            var response = await fixture.Client.GetGrain<IUserGrain>(user.Id).Recommend(new RecommendationRequest(5, Explain: true, Explore: false));
            if (response.CohortId != cohort || response.Items.Count == 0)
            {
                continue;
            }

            Assert.Equal("ranker-experiment", response.Experiment);
            Assert.Equal(response.Variant == "ranker", response.Ranker);
            Assert.Equal(response.Ranker, response.Items[0].Contributions!.Any(c => c.Feature == "ranker_base"));
            served[response.Variant!] = served.GetValueOrDefault(response.Variant!) + 1;
        }

        Assert.Equal(2, served.Count);
    }
}
