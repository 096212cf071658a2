using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>
/// Time alone does not move a user between cohorts; behaviour and new segmentation versions do
/// (<see cref="ModelClock.ProfileTime"/>, the instant the user grain measures assignment and serving features at).
/// </summary>
public sealed class CohortClockTests
{
    private static readonly TrainingOptions Options = new();

    /// <summary>A world trained a day after its last day (the lag the live clock is shifted back by), with its replayed profiles.</summary>
    private static (ModelBundle Bundle, TrainingLog Log, UserProfile[] Profiles) Trained()
    {
        var world = TrainingWorld.Create(users: 300, items: 300, days: 30, seed: 11);
        var input = world.Input with { Now = TrainingWorld.End.AddDays(1) };
        var bundle = TrainingPipeline.Run(input, Options);
        var log = TrainingLog.Read(input, Options, CancellationToken.None);
        return (bundle, log, log.ReplayProfiles(Options.Profile, CancellationToken.None));
    }

    private static int Assign(ModelBundle bundle, UserProfile profile, DateTimeOffset at)
    {
        Span<float> features = stackalloc float[ProfileFeatures.Count];
        ProfileFeatures.Extract(profile, at.ToUnixTimeMilliseconds(), features);
        return bundle.Segmentation.Assign(features);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(86_400)]
    [InlineData(30 * 86_400)]
    [InlineData(400 * 86_400)]
    public void A_user_untouched_since_training_keeps_training_s_cohort_at_any_later_wall_clock_time(int secondsAfterTraining)
    {
        var (bundle, log, profiles) = Trained();
        var later = bundle.TrainedAt.AddSeconds(secondsAfterTraining);

        var moved = 0;
        var movedByLiveClock = 0;
        for (var u = 0; u < profiles.Length; u++)
        {
            var trained = bundle.TrainedCohortOf(log.UserIds[u]);
            Assert.NotNull(trained);
            Assert.Equal(bundle.ReferenceTime, ModelClock.ProfileTime(bundle, profiles[u], later));
            moved += Assign(bundle, profiles[u], ModelClock.ProfileTime(bundle, profiles[u], later)) == trained ? 0 : 1;
            movedByLiveClock += Assign(bundle, profiles[u], ModelClock.FeatureTime(bundle, later)) == trained ? 0 : 1;
        }

        Assert.Equal(0, moved);
        if (secondsAfterTraining >= 30 * 86_400)
        {
            // The rule matters: measured on the live clock, a month of nothing would have moved users by time alone.
            Assert.True(movedByLiveClock > 0, "ages measured at the live clock a month later should move some user");
        }
    }

    [Fact]
    public void A_user_with_a_new_event_is_measured_live_and_moves_when_the_behaviour_says_so()
    {
        var (bundle, log, profiles) = Trained();
        var later = bundle.TrainedAt.AddDays(20);
        var live = ModelClock.FeatureTime(bundle, later);
        var item = log.ItemInfos[0];

        var moved = 0;
        for (var u = 0; u < profiles.Length; u++)
        {
            var trained = bundle.TrainedCohortOf(log.UserIds[u]);
            // One purchase after training's reference, on the model's time axis.
            profiles[u].Apply(new Interaction(log.UserIds[u], item.Id, InteractionType.Purchase, 40, live.ToUnixTimeMilliseconds(), null), item, Options.Profile);

            Assert.Equal(live, ModelClock.ProfileTime(bundle, profiles[u], later));
            var cohort = Assign(bundle, profiles[u], ModelClock.ProfileTime(bundle, profiles[u], later));
            moved += cohort == trained ? 0 : 1;
        }

        Assert.True(moved > 0, "a purchase after weeks of silence should move some user to another cohort");
    }

    [Fact]
    public void A_late_event_stamped_before_the_reference_is_behaviour_measured_on_training_s_clock()
    {
        var (bundle, log, profiles) = Trained();
        var profile = profiles[0];
        var item = log.ItemInfos[1];
        profile.Apply(new Interaction(log.UserIds[0], item.Id, InteractionType.View, null, bundle.ReferenceTime.AddDays(-1).ToUnixTimeMilliseconds(), null), item, Options.Profile);

        Assert.Equal(bundle.ReferenceTime, ModelClock.ProfileTime(bundle, profile, bundle.TrainedAt.AddDays(3)));
    }

    [Fact]
    public void Without_a_model_features_are_measured_at_the_wall_clock()
    {
        var now = TrainingWorld.End.AddDays(2);
        Assert.Equal(now, ModelClock.ProfileTime(null, new UserProfile(), now));
    }

    [Fact]
    public void A_training_s_segmentation_is_assigned_once_the_silo_serves_its_model()
    {
        var (bundle, _, _) = Trained();

        Assert.True(ModelClock.CanAssign(0, null));
        Assert.True(ModelClock.CanAssign(0, bundle));
        Assert.True(ModelClock.CanAssign(bundle.Version, bundle));
        Assert.False(ModelClock.CanAssign(bundle.Version + 1, bundle));
        Assert.False(ModelClock.CanAssign(bundle.Version, null));
    }
}
