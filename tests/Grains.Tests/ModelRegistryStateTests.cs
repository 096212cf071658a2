using Cohortly.Contracts;
using Cohortly.Grains.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace Cohortly.Grains.Tests;

public sealed class ModelRegistryStateTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 7, 0, 0, TimeSpan.Zero);

    private static ModelVersionInfo Rejected() => new()
    {
        Version = 4,
        TrainedAt = At,
        Events = 10,
        Users = 2,
        Items = 3,
        HoldoutNdcgGlobal = 0.2,
        HoldoutNdcgCohort = 0.25,
        Cohorts = [new CohortModelInfo(3, "c", 1, 1, true, 0.2, 0.3)],
        Status = ModelStatus.Rejected,
        StatusReason = "worse than the active version",
        StatusChangedAt = At,
        Promotion = new PromotionReport(2, false, "worse than the active version", 40, 0.1, 0.3, [new PromotionCohort(3, 40, 0.1, 0.3, true, false)]),
    };

    private static void AssertSame(ModelVersionInfo expected, ModelVersionInfo actual)
    {
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.StatusReason, actual.StatusReason);
        Assert.Equal(expected.StatusChangedAt, actual.StatusChangedAt);
        Assert.Equal(expected.Forced, actual.Forced);
        Assert.NotNull(actual.Promotion);
        Assert.Equal(expected.Promotion!.ComparedWith, actual.Promotion!.ComparedWith);
        Assert.Equal(expected.Promotion.Passed, actual.Promotion.Passed);
        Assert.Equal(expected.Promotion.Users, actual.Promotion.Users);
        Assert.Equal(expected.Promotion.ActiveNdcg, actual.Promotion.ActiveNdcg);
        Assert.Equal(expected.Promotion.Cohorts, actual.Promotion.Cohorts);
    }

    [Fact]
    public void Statuses_promotion_reports_and_silo_loads_survive_grain_storage()
    {
        var json = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));
        var state = new ModelRegistryState
        {
            ActiveVersion = 2,
            Versions = [Rejected()],
            Silos = [new SiloModelLoad("silo-a", 2, 4, "Loading model version 4 failed: bad magic", At)],
        };

        var back = json.Deserialize<ModelRegistryState>(json.Serialize(state))!;

        AssertSame(state.Versions[0], back.Versions[0]);
        Assert.Equal(state.Silos, back.Silos);
    }

    [Fact]
    public void A_version_with_its_promotion_report_crosses_the_orleans_wire()
    {
        using var services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(ModelVersionInfo).Assembly)).BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var view = new ModelRegistryView(2, [Rejected()]) { Silos = [new SiloModelLoad("silo-a", 2, 0, null, At)] };

        var back = serializer.Deserialize<ModelRegistryView>(serializer.SerializeToArray(view))!;

        AssertSame(view.Versions[0], back.Versions[0]);
        Assert.Equal(view.Silos, back.Silos);
    }
}
