using System.Security.Cryptography;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Training;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>
/// Pins the training pipeline's output, byte for byte (the stored bundle without its durations), on two seeded logs:
/// the bench's generated log (train-scale) and a synthetic shop with attributes, ratings-free purchases, devices and a
/// planted context key. A change to how the pipeline holds its data (columns instead of event objects, profiles
/// replayed one user at a time) must leave these hashes as they are; a change that means to change the model updates
/// them and says why. The hashes were taken on x64 with AVX-512 (TensorPrimitives picks its vector width by CPU).
/// </summary>
public sealed class TrainingOutputPinTests
{
    private static readonly DateTimeOffset End = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Generated_scale_log_trains_the_pinned_bundle()
    {
        var log = new SyntheticTrainingLog(2_000, 300, 24_000, 42, End);

        var bundle = TrainingPipeline.Run(new TrainingInput(log, log.Catalog(), [], null, 1, End), new TrainingOptions { IalsIterations = 3 });

        Assert.Equal("2BFB67C08C5AFEC2E3A6527E056E80F7795FBC18DEF3ECEB7C511AE8E561CBFA", Hash(bundle));
    }

    [Fact]
    public void Synthetic_shop_with_attributes_and_context_trains_the_pinned_bundle()
    {
        var world = TrainingWorld.Create(
            users: 300,
            items: 200,
            days: 21,
            seed: 11,
            attributes: u => new Dictionary<string, string> { ["segment"] = u.Type.ToString() },
            context: new PlantedContext());

        var bundle = TrainingPipeline.Run(world.Input, new TrainingOptions { IalsIterations = 4 });

        Assert.Equal("6E92B702BB422EAF2871AC843E42A37DE869171BB608DDD34B9191734C171C8F", Hash(bundle));
    }

    private static string Hash(ModelBundle b)
    {
        var stable = ModelBundleCopy.With(b, summary: b.Summary with { Stages = [] }, tuning: b.Tuning?.WithoutTimings());
        return Convert.ToHexString(SHA256.HashData(stable.ToBytes()));
    }
}
