using Cohortly.Contracts;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Experiments;

namespace Cohortly.Grains.Tests;

/// <summary>The learned ranker as an experiment variant: the treatment switches it on or off for the variant's users.</summary>
[Collection(TrainingCollection.Name)]
public sealed class RankerExperimentTests(TrainingFixture fixture)
{
    [Fact]
    public async Task A_ranker_on_off_experiment_serves_each_variant_with_or_without_the_ranker()
    {
        var registry = await fixture.EnsureVersions(1);
        var models = fixture.Service<ModelCache>();
        await Eventually.True(() => Task.FromResult(models.Version == registry.ActiveVersion), "the cache serves the active version");
        var bundle = models.Current!;
        Assert.NotNull(bundle.Ranker?.Model);
        var cohort = fixture.World.Users
            .Select(u => bundle.TrainedCohortOf(u.Id))
            .OfType<int>()
            .GroupBy(c => c)
            .OrderByDescending(g => g.Count())
            .First().Key;

        var definition = new ExperimentDefinition
        {
            Id = "ranker-experiment",
            Variants = [new ExperimentVariant("blend", 0.5), new ExperimentVariant("ranker", 0.5)],
            Cohorts = [cohort],
        };
        var plan = new ExperimentPlan(definition, [new VariantTreatment(Ranker: false), new VariantTreatment(Ranker: true)]);
        var experiments = fixture.Client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key);
        Assert.NotNull((await experiments.Create(plan)).Created);
        var cache = fixture.Service<Services.ExperimentCache>();
        var version = await experiments.GetVersion();
        await Eventually.True(() => Task.FromResult(cache.Version >= version), "the silo's experiment cache has the experiment");
        try
        {
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
        finally
        {
            await experiments.Stop("ranker-experiment");
            var stopped = await experiments.GetVersion();
            await Eventually.True(() => Task.FromResult(cache.Version >= stopped), "the silo's experiment cache drops the experiment");
        }
    }
}
