using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

public sealed class TrainingReferenceTimeTests
{
    private static TrainingWorld World() => TrainingWorld.Create(users: 200, items: 300, days: 14, seed: 5);

    [Fact]
    public void By_default_the_same_log_trains_the_same_model_whatever_the_date()
    {
        var world = World();
        var later = world.Input with { Now = TrainingWorld.End.AddDays(400) };

        var today = TrainingPipeline.Run(world.Input, new TrainingOptions());
        var nextYear = TrainingPipeline.Run(later, new TrainingOptions());

        Assert.Equal(today.ReferenceTime, nextYear.ReferenceTime);
        var newest = long.MinValue;
        foreach (var e in world.Input.Events)
        {
            newest = Math.Max(newest, e.TimestampMs);
        }

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(newest), today.ReferenceTime);
        Assert.Equal(today.Segmentation.Scaler.Means, nextYear.Segmentation.Scaler.Means);
        Assert.Equal(today.UserCohortIds, nextYear.UserCohortIds);
        Assert.Equal(today.Summary.HoldoutNdcgCohort, nextYear.Summary.HoldoutNdcgCohort);
    }

    [Fact]
    public void A_wall_clock_reference_measures_ages_at_the_run_date()
    {
        var world = World();
        var options = new TrainingOptions { ReferenceTime = TrainingReferenceTime.WallClock };
        var later = world.Input with { Now = TrainingWorld.End.AddDays(400) };

        var today = TrainingPipeline.Run(world.Input, options);
        var nextYear = TrainingPipeline.Run(later, options);

        Assert.Equal(later.Now, nextYear.ReferenceTime);
        // recency_days (feature 1) is measured at the run date: a year later every user looks dormant.
        Assert.True(nextYear.Segmentation.Scaler.Means[1] > today.Segmentation.Scaler.Means[1] + 1);
    }

    [Fact]
    public void The_reference_time_survives_the_stored_bundle()
    {
        var bundle = TrainingPipeline.Run(World().Input with { Now = TrainingWorld.End.AddDays(30) }, new TrainingOptions());

        var copy = ModelBundle.FromBytes(bundle.ToBytes());

        Assert.Equal(bundle.ReferenceTime, copy.ReferenceTime);
        Assert.NotEqual(copy.TrainedAt, copy.ReferenceTime);
    }

    [Fact]
    public void Serving_measures_features_on_the_model_s_time_axis()
    {
        var bundle = TrainingPipeline.Run(World().Input with { Now = TrainingWorld.End.AddDays(30) }, new TrainingOptions());
        var now = TrainingWorld.End.AddDays(31);

        // One day after training, on the log's axis: one day after the reference.
        Assert.Equal(bundle.ReferenceTime.AddDays(1), ModelClock.FeatureTime(bundle, now));
        Assert.Equal(now, ModelClock.FeatureTime(null, now));
    }
}
