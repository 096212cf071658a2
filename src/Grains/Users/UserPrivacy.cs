using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Training;
using Cohortly.Modeling.Users;

namespace Cohortly.Grains.Users;

/// <summary>
/// A silo's part of data subject rights, called by the user grain (one per silo, so an activation carries no field
/// for it): erasing and reading the user's log records, forgetting the user's features (this silo's sample and the
/// samples the segmentation grain keeps), and mapping the state to the export. The decisions about the state itself are <see cref="UserState.Erase"/>'s.
/// </summary>
public sealed class UserPrivacy(IUserDataLog log, ModelCache models, ActivityAggregator activity, IGrainFactory grains, TimeProvider time)
{
    public TimeProvider Time { get; } = time;

    /// <summary>Erases what the log and this silo's caches hold of the user, then the state (leaving its tombstone).</summary>
    public async Task<UserErasureResult> EraseAsync(string userId, UserState state, bool keepServing, CancellationToken cancellationToken)
    {
        // The log first: if it fails, the state is untouched and the caller can retry the whole erasure.
        var logged = await log.EraseUserAsync(userId, cancellationToken);
        var rowIgnored = models.Current is { } bundle && bundle.UserIndex(userId) is not null && !state.IgnoresTrainedRow(bundle.TrainedAt);
        var at = Time.GetUtcNow();
        var removed = state.Erase(at, logged.Cutoff, logged.Watermark, keepServing);
        if (!keepServing && state.PersonalizationWithheld)
        {
            // Erasure forgets the consent record too: the id leaves the log's withheld list, and a later event is a
            // new user with consent as any new user has it.
            state.PersonalizationWithheld = false;
            await log.SetWithheldAsync(userId, false, cancellationToken);
        }

        activity.ForgetFeatures(userId);
        // The segmentation grain keeps each silo's last pushed sample (up to a push period old): without this a
        // segmentation run, the cohort map or the drift check would still use the erased user's features.
        await grains.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).ForgetUser(userId, Time.GetUtcNow());
        return new UserErasureResult(userId, at, removed.ProfileEvents, removed.ServedRecommendations, removed.CohortTransitions, removed.Attributes, logged.Events, logged.Attributes, rowIgnored);
    }

    public Task SetWithheldAsync(string userId, bool withheld, CancellationToken cancellationToken) =>
        log.SetWithheldAsync(userId, withheld, cancellationToken);

    public async Task<UserDataExport> ExportAsync(string userId, UserState state, UserProfileView? profile, CancellationToken cancellationToken)
    {
        var logged = await log.ReadUserAsync(userId, cancellationToken);
        var transitions = new List<CohortTransition>(state.Transitions.Count);
        foreach (var t in state.Transitions)
        {
            transitions.Add(new CohortTransition(t.From, t.To, t.At, t.SegmentationVersion));
        }

        var served = new List<ServedRecommendationExport>(state.Recommendations.Count);
        for (var n = 0; n < state.Recommendations.Count; n++)
        {
            var r = state.Recommendations[n];
            var items = new List<ServedItemExport>(r.Count);
            for (var i = 0; i < r.Count; i++)
            {
                var (clicked, carted, purchased) = r.OutcomesAt(i);
                items.Add(new ServedItemExport(r.ItemAt(i), r.IsExplored(i), clicked, carted, purchased));
            }

            served.Add(new ServedRecommendationExport(
                r.Id.ToString("N"),
                DateTimeOffset.FromUnixTimeMilliseconds(r.ServedAtMs),
                r.CohortId,
                r.ModelVersion,
                OutcomeGrouping.StrategyName(r.Strategy),
                r.Experiment,
                r.Variant,
                items));
        }

        return new UserDataExport
        {
            UserId = userId,
            ExportedAt = Time.GetUtcNow(),
            Profile = profile,
            Attributes = state.Attributes ?? new Dictionary<string, string>(),
            CohortHistory = transitions,
            ServedRecommendations = served,
            LoggedEvents = logged.Events,
            LoggedAttributes = logged.Attributes,
            ModelRow = models.Current is { } bundle ? ModelRow(bundle, userId, state) : null,
            Personalization = !state.PersonalizationWithheld,
            ErasedAt = state.ErasedAt,
        };
    }

    private static ModelRowExport ModelRow(ModelBundle bundle, string userId, UserState state)
    {
        if (bundle.UserIndex(userId) is not { } row)
        {
            return new ModelRowExport(bundle.Version, false, false, null, 0);
        }

        var items = row < bundle.UserItems.Rows ? bundle.UserItems.RowLength(row) : 0;
        return new ModelRowExport(bundle.Version, true, state.IgnoresTrainedRow(bundle.TrainedAt), bundle.TrainedCohortOf(userId), items);
    }
}
