using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;

namespace Cohortly.Grains.Tests;

/// <summary>The drift monitor's "serve global" action in the serving path: the cohort grain's hold reaches every silo's cache.</summary>
[Collection(TrainingCollection.Name)]
public sealed class DriftServingTests(TrainingFixture fixture)
{
    [Fact]
    public async Task A_cohort_held_on_the_global_model_is_served_the_global_weights_until_the_next_activated_version()
    {
        var (registry, bundle) = await fixture.ServingActiveVersion();
        // The largest trained cohort has adapted weights (ExperimentServingTests relies on it too).
        var cohort = fixture.LargestTrainedCohort(bundle);
        var users = new List<IUserGrain>();
        foreach (var user in fixture.World.Users)
        {
            var grain = fixture.Client.GetGrain<IUserGrain>(user.Id);
            var response = await grain.Recommend(new RecommendationRequest(5, Explore: false));
            if (response.CohortId == cohort)
            {
                Assert.Equal("cohort-model", response.Strategy);
                users.Add(grain);
            }
        }

        Assert.NotEmpty(users);
        var cache = fixture.Service<CohortSnapshotCache>();
        await fixture.Client.GetGrain<ICohortGrain>(cohort).ServeGlobalUntilNextVersion("drift-reward-rate: test");
        await Eventually.True(() => Task.FromResult(cache.HeldOnGlobal(cohort)), "the silo's cohort cache has the hold");

        foreach (var user in users)
        {
            var response = await user.Recommend(new RecommendationRequest(5, Explore: false));
            Assert.Equal("global-model", response.Strategy);
            Assert.False(response.Fallback);
            Assert.Equal(registry.ActiveVersion, response.ModelVersion);
        }

        // Activating a version (here the active one again, by hand) hands every cohort its serving state: the hold ends.
        await fixture.Client.GetGrain<ITrainingGrain>(ITrainingGrain.Key).Activate(registry.ActiveVersion, force: false);
        await Eventually.True(() => Task.FromResult(!cache.HeldOnGlobal(cohort)), "the silo's cohort cache drops the hold");
        foreach (var user in users)
        {
            Assert.Equal("cohort-model", (await user.Recommend(new RecommendationRequest(5, Explore: false))).Strategy);
        }
    }
}
