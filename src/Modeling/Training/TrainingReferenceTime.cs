using Cohortly.Modeling.Features;

namespace Cohortly.Modeling.Training;

/// <summary>
/// What a training run measures event ages against (profile recency and tenure, and through them the segmentation and
/// every cohort decision): the wall clock when the run starts, or the newest event in the log it reads.
/// </summary>
public enum TrainingReferenceTime
{
    /// <summary>
    /// The newest accepted event: the run is a function of its log alone, so replaying the same log gives the same model
    /// on any date. In a live system the newest event is seconds before the run, so this equals the wall clock there.
    /// </summary>
    NewestEvent,

    /// <summary>The run's wall clock (<see cref="TrainingInput.Now"/>): ages grow while nothing happens.</summary>
    WallClock,
}

/// <summary>
/// The one rule for the instant a trained model measures ages at, and for the clock serving measures a live profile
/// at so that its features are those training would have computed: the wall clock shifted back by how far the
/// model's reference lagged the wall clock when it was trained.
/// </summary>
public static class ModelClock
{
    /// <summary>The reference instant of a run over the accepted events' times (unix milliseconds).</summary>
    public static DateTimeOffset Reference(TrainingReferenceTime kind, DateTimeOffset now, ReadOnlySpan<long> timestampsMs)
    {
        if (kind == TrainingReferenceTime.WallClock || timestampsMs.IsEmpty)
        {
            return now;
        }

        var newest = long.MinValue;
        foreach (var t in timestampsMs)
        {
            newest = Math.Max(newest, t);
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(newest);
    }

    /// <summary>
    /// The instant serving measures profile features at under <paramref name="bundle"/>: <paramref name="now"/> minus
    /// (trained-at − reference), never later than <paramref name="now"/>. With a wall-clock reference this is
    /// <paramref name="now"/>; a replayed log from years ago is measured on the log's own time axis, as training did.
    /// </summary>
    public static DateTimeOffset FeatureTime(ModelBundle? bundle, DateTimeOffset now)
    {
        if (bundle is null)
        {
            return now;
        }

        var lag = bundle.TrainedAt - bundle.ReferenceTime;
        return lag > TimeSpan.Zero ? now - lag : now;
    }

    /// <summary>
    /// The instant a user's profile features are measured at under <paramref name="bundle"/> — for cohort assignment,
    /// re-assignment under a new segmentation version and the features serving hands the ranker and the purchase model:
    /// a user with no event after the model's reference time is measured at that reference, exactly as training measured
    /// them, so time alone never moves them (they stay in the cohort training assigned, and a later segmentation version
    /// moves them only by its centroids); a user with a newer event is measured live, at <see cref="FeatureTime"/>.
    /// </summary>
    /// <remarks>
    /// "Newer" is by event time on the log's axis (<see cref="UserProfile.LastSeenMs"/> against
    /// <see cref="ModelBundle.ReferenceTime"/>), the axis training measured on. A late event stamped before the reference
    /// still changes the profile, so behaviour moves that user too, measured at the reference.
    /// </remarks>
    public static DateTimeOffset ProfileTime(ModelBundle? bundle, UserProfile profile, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (bundle is null)
        {
            return now;
        }

        var live = FeatureTime(bundle, now);
        return profile.LastSeenMs <= bundle.ReferenceTime.ToUnixTimeMilliseconds() && bundle.ReferenceTime < live ? bundle.ReferenceTime : live;
    }

    /// <summary>
    /// Whether a user may be caught up with a segmentation version on this silo: a version published by a training run
    /// (or restored for an activation) belongs to <paramref name="segmentationModelVersion"/>, whose reference time the
    /// user's features must be measured at, so it waits until the silo serves that model; a segmentation-only version
    /// (0) does not wait.
    /// </summary>
    public static bool CanAssign(long segmentationModelVersion, ModelBundle? bundle) =>
        segmentationModelVersion == 0 || bundle?.Version == segmentationModelVersion;
}
