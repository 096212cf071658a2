using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Training;
using Cohortly.Modeling.Trending;
using Cohortly.Modeling.Users;
using Cohortly.Streaming.Redis;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Cohortly.Grains.Users;

/// <summary>
/// One user: a shell over <see cref="UserState"/> (src/Modeling/Users), which holds the profile, dedupe, cohort
/// membership and the responses later events are attributed to. The grain consumes the user's stream (log-position
/// dedupe, catch-up from the log), serves recommendations from the silo's caches (no extra hop), reports what the
/// state did to the silo's aggregators, and persists the state: written behind on a timer and on deactivation,
/// log entries acknowledged only after the save that covers them.
/// </summary>
[ImplicitStreamSubscription(StreamNames.Interactions)]
public sealed partial class UserGrain(
    [PersistentState("user", StreamNames.Storage)] IPersistentState<UserState> state,
    UserGrainServices services) : Grain, IUserGrain, IStreamSubscriptionObserver, IAsyncObserver<InteractionEvent>
{
    private static readonly double SeedHalfLifeHours = new DecayedTopItems().HalfLifeHours;
    // Scratch for feature extraction, one per thread rather than per activation: every use is
    // synchronous within a turn, and 100k resident grains each holding their own buffer cost ~8 MB.
    [ThreadStatic]
    private static float[]? t_features;

    private static float[] _features => t_features ??= new float[ProfileFeatures.Count];
    private IGrainTimer? _writeBehind;
    private ActivationClock? _activation = new();
    private string? _userId;
    private bool _dirty;

    /// <summary>
    /// Log entries applied (or redelivered) since the last successful save, in order. They are
    /// acknowledged only after the save that covers them: the stream's checkpoint never passes an
    /// effect that a crash of this silo could still lose.
    /// </summary>
    private List<RedisEntryId>? _unacknowledged;

    private Task? _persisting;

    /// <summary>Read once: the per-event path should not re-derive the key string.</summary>
    private string UserId => _userId ??= this.GetPrimaryKeyString();

    private StreamId StreamId => StreamId.Create(StreamNames.Interactions, UserId);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Leaving();
        if (!services.Settings.SavesOnDeactivation(reason))
        {
            // Silo shutdown with in-process state: the memory storage is going away with this activation.
            return;
        }

        await WriteBehind(cancellationToken, retry: false);
    }

    public Task<UserProfileView?> GetProfile()
    {
        NotTimed();
        Messaged();
        return Task.FromResult(Profile());
    }

    private UserProfileView? Profile()
    {
        var s = state.State;
        if (s.Profile.TotalEvents == 0)
        {
            return null;
        }

        CatchUpWithSegmentation();
        return UserViews.Profile(UserId, s, Membership(), services.Time.GetUtcNow(), services.Settings.Profile);
    }

    public Task<PropensityView> GetPropensity()
    {
        NotTimed();
        return Task.FromResult(PropensityViews.Of(UserId, state.State.Profile, services.Models.Current, services.Time.GetUtcNow()));
    }

    public Task<RecommendationResponse> Recommend(RecommendationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Messaged();
        var started = _activation is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        var response = Serve(request);
        if (_activation is { } first)
        {
            _activation = null;
            first.FirstRecommendation(started, services.Metrics, services.Logger);
        }

        return Task.FromResult(response);
    }

    private RecommendationResponse Serve(RecommendationRequest request)
    {
        CatchUpWithSegmentation();
        var response = new UserServing(UserId, state.State, services).Recommend(request);
        // No write of its own: the remembered response rides along with the next event-driven write (or the
        // one on deactivation). A write per request turned every read into storage traffic and cut
        // recommendation throughput by an order of magnitude.
        _dirty = true;
        return response;
    }

    private void Apply(InteractionEvent e)
    {
        var s = state.State;
        if (s.IsErasedPast(e.ReceivedAt) || !s.Accept(e.EventId, e.ReceivedAt, services.Settings.State))
        {
            services.Metrics.EventsDuplicate.Add(1);
            MarkDirty();
            return;
        }

        var item = services.Catalog.Find(e.ItemId);
        // The catalog's id string is shared by every profile that remembers the item.
        var interaction = e.ToInteraction() with { ItemId = item?.Id ?? e.ItemId };
        var attribution = s.Apply(interaction, item, e.ReceivedAt, new FeedbackReference(e.RecommendationId, e.Position), services.Settings.State, services.Outcomes);
        services.Metrics.EventsApplied.Add(1);
        MarkDirty();

        Attributed(attribution);
        if (s.PersonalizationWithheld)
        {
            return; // counted for outcomes only: no features, cohort or popularity from this user
        }

        var now = services.Time.GetUtcNow();
        MeasureFeatures(now);
        services.Activity.RecordFeatures(UserId, _features, s.Profile.LastSeenMs);
        RecheckCohort(now);
        services.Activity.RecordInteraction(s.CohortId, e.ItemId, UserProfile.Weight(e.Type, e.Value));
    }

    public async Task<UserAttributesView> SetAttributes(IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        NotTimed();
        var s = state.State;
        s.SetAttributes(attributes);
        _dirty = false;
        // The log first: training reads attributes from it, and a failed append must not look accepted.
        await services.Log.AppendAttributesAsync(UserId, s.Attributes ?? [], CancellationToken.None);
        await state.WriteStateAsync();
        return new UserAttributesView(UserId, s.Attributes ?? [], ProvisionalCohort(null), s.CohortId);
    }

    /// <summary>Cohort implied by attributes and context while the user has no history-based cohort.</summary>
    private int? ProvisionalCohort(string? device) =>
        state.State.CohortId is null && state.State.Profile.TotalEvents == 0 && services.Models.Current is { } bundle
            ? bundle.Provisional.Predict(state.State.Attributes, device)
            : null;

    /// <summary>
    /// The bandit reward of an attributed event goes to the arm of the cohort the response was served for, once per
    /// served item (the first rewarding event on it), so rewards never exceed impressions.
    /// </summary>
    private void Attributed(in Attribution attribution)
    {
        if (attribution.Result == AttributionResult.NotAttributable)
        {
            return;
        }

        services.Metrics.Attribution.Add(1, new KeyValuePair<string, object?>("result", ResultName(attribution.Result)));
        if (attribution.PositionIgnored)
        {
            services.Metrics.Attribution.Add(1, new KeyValuePair<string, object?>("result", "position_ignored"));
        }

        if (attribution.BanditReward is { } reward && attribution.ItemId is { } itemId)
        {
            services.Activity.RecordReward(attribution.CohortId, itemId, reward);
            services.Metrics.RecommendationRewards.Add(1);
        }
    }

    private static string ResultName(AttributionResult result) => result switch
    {
        AttributionResult.Attributed => "attributed",
        AttributionResult.ItemNotServed => "item_not_served",
        AttributionResult.AlreadyCounted => "already_counted",
        _ => "unmatched",
    };

    private void RecheckCohort(DateTimeOffset now)
    {
        var model = services.Segmentation.Current;
        if (model is null)
        {
            return;
        }

        if (state.State.Reassign(model, _features, now, services.Settings.State) is { } change)
        {
            services.Activity.RecordTransition(change.From, change.To);
            services.Metrics.CohortTransitions.Add(1);
            SeedCohortPopularity(change.To, now);
        }
    }

    /// <summary>
    /// A user idle since a new segmentation was published is re-assigned when next read, once the silo serves the model
    /// the version belongs to (its reference time is what the user's features are measured at).
    /// </summary>
    private void CatchUpWithSegmentation()
    {
        var s = state.State;
        if (services.Segmentation.Current is { } model && s.NeedsReassignment(model.Version)
            && ModelClock.CanAssign(services.Segmentation.ModelVersion, services.Models.Current))
        {
            var now = services.Time.GetUtcNow();
            MeasureFeatures(now);
            RecheckCohort(now);
            // Derived from the profile and the segmentation, so it needs no write of its own: it is
            // persisted with the next event-driven write or on deactivation. Reads stay storage-free.
            _dirty = true;
        }
    }

    /// <summary>Features at the model's clock: training's reference for a user with nothing newer (time alone moves nobody).</summary>
    private void MeasureFeatures(DateTimeOffset now) =>
        ProfileFeatures.Extract(state.State.Profile, ModelClock.ProfileTime(services.Models.Current, state.State.Profile, now).ToUnixTimeMilliseconds(), _features);

    /// <summary>
    /// A member brings its recent interest along, so a cohort's popularity reflects its members'
    /// histories from the moment a segmentation is published, not only events seen afterwards.
    /// </summary>
    private void SeedCohortPopularity(int cohort, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        foreach (var recent in state.State.Profile.RecentItems)
        {
            var weight = DecayedTopItems.Decayed(UserProfile.Weight(recent.Type, null), nowMs - recent.TimestampMs, SeedHalfLifeHours);
            services.Activity.RecordCohortItem(cohort, recent.ItemId, weight);
        }
    }

    private CohortMembership? Membership()
    {
        var s = state.State;
        if (s.CohortId is not { } id)
        {
            return null;
        }

        var label = services.Segmentation.LabelOf(id) ?? services.Cohorts.Get(id)?.Label ?? $"cohort {id}";
        return new CohortMembership(id, label, s.SegmentationVersion, s.CohortSince ?? services.Time.GetUtcNow());
    }
}
