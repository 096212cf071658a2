using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Tests;

/// <summary>The cohort grain owns its serving policy: training proposes, an operator overrides, silo caches follow.</summary>
[Collection(TrainingCollection.Name)]
public sealed class CohortPolicyTests(TrainingFixture fixture)
{
    private static readonly ServingPolicy Operators = new(new ThompsonExploration(2, 3), 0.5, 2);

    [Fact]
    public async Task An_override_survives_a_new_model_version_and_clearing_it_returns_to_the_trained_proposal()
    {
        var registry = await fixture.EnsureVersions(1);
        var cohortId = TrainingFixture.Trained(registry)[0].Cohorts[0].CohortId;
        var cohort = fixture.Client.GetGrain<ICohortGrain>(cohortId);
        try
        {
            var set = await cohort.OverridePolicy(Operators);
            Assert.Equal(PolicySource.Override, set.Source);
            Assert.Equal(Operators, set.Effective);
            Assert.NotNull(set.OverrideSince);

            var status = await fixture.RunToEnd();
            Assert.Equal(TrainingState.Succeeded, status.State);

            // Activation proposed the new version's policy to every cohort it trained.
            var info = (await fixture.Registry.List()).Versions.First(v => v.Version == status.LastVersion);
            Assert.Contains(info.Cohorts, c => c.CohortId == cohortId);
            foreach (var c in info.Cohorts)
            {
                var proposed = await fixture.Client.GetGrain<ICohortGrain>(c.CohortId).GetPolicy();
                Assert.NotNull(c.Policy);
                Assert.Equal(c.Policy, proposed.Trained);
                Assert.Equal(status.LastVersion, proposed.TrainedModelVersion);
                Assert.Equal(c.CohortId == cohortId ? PolicySource.Override : PolicySource.Trained, proposed.Source);
            }

            var after = await cohort.GetPolicy();
            Assert.Equal(status.LastVersion, after.TrainedModelVersion);
            Assert.NotNull(after.Trained);
            Assert.Equal(PolicySource.Override, after.Source);
            Assert.Equal(Operators, after.Effective);
            Assert.Equal(set.OverrideSince, after.OverrideSince);
            var snapshot = await cohort.GetSnapshot();
            Assert.Equal(Operators, snapshot.Policy);
            Assert.Equal(PolicySource.Override, snapshot.PolicySource);

            var cleared = await cohort.ClearPolicyOverride();
            Assert.Equal(PolicySource.Trained, cleared.Source);
            Assert.Equal(after.Trained, cleared.Effective);
            Assert.Null(cleared.Override);
            Assert.True(cleared.Since > set.Since, "clearing dates the change of the policy in effect");
        }
        finally
        {
            await cohort.ClearPolicyOverride();
        }
    }

    [Fact]
    public async Task An_invalid_override_is_refused_and_changes_nothing()
    {
        var registry = await fixture.EnsureVersions(1);
        var cohort = fixture.Client.GetGrain<ICohortGrain>(TrainingFixture.Trained(registry)[0].Cohorts[0].CohortId);
        var before = await cohort.GetPolicy();

        var e = await Assert.ThrowsAsync<InvalidPolicyException>(() => cohort.OverridePolicy(new ServingPolicy(new Ucb1Exploration(-1), 0.9, 1)));

        Assert.Contains("exploration.constant", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await cohort.GetPolicy());
    }

    [Fact]
    public async Task An_idle_cohorts_policy_change_reaches_the_silo_cache_within_a_poll()
    {
        var registry = await fixture.EnsureVersions(1);
        var cohortId = TrainingFixture.Trained(registry)[0].Cohorts[^1].CohortId;
        var cohort = fixture.Client.GetGrain<ICohortGrain>(cohortId);
        var snapshots = fixture.Service<CohortSnapshotCache>();
        try
        {
            // Nothing is published or recommended here, so the cohort gets no deltas: only the cache poll
            // (Cohortly:CachePoll, 100 ms in this fixture) can bring the change to the silo.
            await cohort.OverridePolicy(Operators);
            await Eventually.True(() => Task.FromResult(snapshots.PolicyOf(cohortId) == Operators), "the silo cache takes the override", TimeSpan.FromSeconds(10));
            Assert.Equal(PolicySource.Override, snapshots.Get(cohortId)!.PolicySource);

            var cleared = await cohort.ClearPolicyOverride();
            Assert.NotEqual(Operators, cleared.Effective);
            await Eventually.True(() => Task.FromResult(snapshots.PolicyOf(cohortId) == cleared.Effective), "the silo cache returns to the trained proposal", TimeSpan.FromSeconds(10));
        }
        finally
        {
            await cohort.ClearPolicyOverride();
        }
    }

    [Fact]
    public async Task The_next_recommendation_is_served_with_the_cohorts_policy_in_effect()
    {
        var registry = await fixture.EnsureVersions(1);
        var cache = fixture.Service<ModelCache>();
        await Eventually.True(() => Task.FromResult(cache.Version == registry.ActiveVersion), "the cache serves the active version");
        var user = fixture.Client.GetGrain<IUserGrain>(fixture.World.Users[5].Id);
        var first = await user.Recommend(new RecommendationRequest(10));
        var cohortId = first.CohortId ?? CohortSnapshotCache.Global;
        var cohort = fixture.Client.GetGrain<ICohortGrain>(cohortId);
        var snapshots = fixture.Service<CohortSnapshotCache>();
        var none = new ServingPolicy(NoExploration.Instance, 1, 0);
        var explore = new ServingPolicy(new EpsilonGreedyExploration(1), 1, 3);
        try
        {
            await cohort.OverridePolicy(none);
            await Eventually.True(() => Task.FromResult(snapshots.PolicyOf(cohortId) == none), "the silo cache takes the override");
            var quiet = await user.Recommend(new RecommendationRequest(10));
            Assert.DoesNotContain(quiet.Items, i => i.Explored);

            await cohort.OverridePolicy(explore);
            await Eventually.True(() => Task.FromResult(snapshots.PolicyOf(cohortId) == explore), "the silo cache takes the second override");
            var explored = await user.Recommend(new RecommendationRequest(10));
            Assert.Equal(3, explored.Items.Count(i => i.Explored));
            Assert.All(explored.Items.Take(7), i => Assert.False(i.Explored));
        }
        finally
        {
            await cohort.ClearPolicyOverride();
        }
    }
}
