using Cohortly.Contracts;
using Cohortly.Grains.Cohorts;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace Cohortly.Grains.Tests;

/// <summary>A typed policy survives the two ways it travels: grain storage (System.Text.Json) and the Orleans wire (surrogate).</summary>
public sealed class PolicySerializationTests
{
    private static readonly ServingPolicy[] EveryKind =
    [
        new(NoExploration.Instance, 1, 0),
        new(new EpsilonGreedyExploration(0.3), 0.8, 2),
        new(new Ucb1Exploration(2.5), 0.9, 1),
        new(new ThompsonExploration(2, 7), 0.4, 4),
    ];

    [Fact]
    public void Cohort_and_registry_state_keep_their_policies_in_storage()
    {
        var json = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));
        var since = new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);
        foreach (var policy in EveryKind)
        {
            var state = new CohortState { TrainedPolicy = ServingPolicy.Default, OverridePolicy = policy, OverrideSince = since, PolicySince = since };
            var registry = new ModelRegistryState
            {
                Versions = [new ModelVersionInfo { Version = 1, TrainedAt = since, Events = 1, Users = 1, Items = 1, HoldoutNdcgGlobal = 0, HoldoutNdcgCohort = 0, Cohorts = [new CohortModelInfo(3, "c", 1, 1, false, 0, 0) { Policy = policy }] }],
            };

            var back = json.Deserialize<CohortState>(json.Serialize(state))!;
            var registryBack = json.Deserialize<ModelRegistryState>(json.Serialize(registry))!;

            Assert.Equal(policy, back.OverridePolicy);
            Assert.Equal(ServingPolicy.Default, back.TrainedPolicy);
            Assert.Equal(since, back.OverrideSince);
            Assert.Equal(policy, registryBack.Versions[0].Cohorts[0].Policy);
        }
    }

    [Fact]
    public void Every_kind_crosses_the_orleans_wire_unchanged()
    {
        using var services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(CohortPolicy).Assembly)).BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        foreach (var policy in EveryKind)
        {
            var view = new CohortPolicy { CohortId = 3, Effective = policy, Source = PolicySource.Override, Trained = ServingPolicy.Default, Override = policy };

            var back = serializer.Deserialize<CohortPolicy>(serializer.SerializeToArray(view));

            Assert.Equal(view, back);
        }
    }
}
