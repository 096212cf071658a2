using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Users;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace Cohortly.Grains.Tests;

/// <summary>Cohortly:Scaling and what the rebalancer needs of the grains (issue 16).</summary>
public sealed class ScalingTests
{
    private static CohortlyOptions Read(Dictionary<string, string?> values) =>
        CohortlyConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void Scaling_defaults_are_the_documented_ones_and_bad_values_are_named()
    {
        var defaults = Read([]).Scaling;
        Assert.True(defaults.ActivationRebalancer);
        Assert.Equal(PartitionBalancer.Leases, defaults.PartitionBalancer);
        Assert.Equal(TimeSpan.FromSeconds(90), defaults.ShutdownTimeout);
        Assert.False(defaults.Kubernetes);

        var balancer = Assert.Throws<OptionsValidationException>(() => Read(new() { ["Cohortly:Scaling:PartitionBalancer"] = "7" }));
        Assert.Contains("Cohortly:Scaling:PartitionBalancer", balancer.Message, StringComparison.Ordinal);
        var shutdown = Assert.Throws<OptionsValidationException>(() => Read(new() { ["Cohortly:Scaling:ShutdownTimeout"] = "00:00:01" }));
        Assert.Contains("Cohortly:Scaling:ShutdownTimeout", shutdown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_migrating_user_state_crosses_orleans_serializer_as_the_json_storage_writes()
    {
        var types = CohortlyScaling.PersistentStateTypes();
        Assert.Contains(typeof(UserState), types);
        Assert.Contains(typeof(Cohorts.CohortState), types);

        using var services = new ServiceCollection()
            .AddSerializer(s => s.AddJsonSerializer(types.Contains, new SystemTextJsonGrainStorageSerializerOptions().JsonSerializerOptions))
            .BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var state = new UserState { SegmentationVersion = 7 };
        state.SetAttributes(new Dictionary<string, string> { ["country"] = "fr" });
        Assert.True(state.Accept("e-1", DateTimeOffset.UnixEpoch, new UserStateOptions()));

        var copy = serializer.Deserialize<UserState>(serializer.SerializeToArray(state));
        Assert.NotNull(copy);

        var storage = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));
        Assert.Equal(storage.Serialize(state).ToString(), storage.Serialize(copy).ToString());
        Assert.Equal(7, copy.SegmentationVersion);
        Assert.Equal("fr", copy.Attributes!["country"]);
    }
}
