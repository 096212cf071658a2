using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Trending;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Cohortly.Grains.Users;

/// <summary>
/// One user. Applies stream events to the live profile, re-checks cohort membership against the
/// silo's segmentation cache, and serves recommendations from the silo's cohort cache (no extra hop).
/// State is written behind on a timer and on deactivation.
/// </summary>
[ImplicitStreamSubscription(StreamNames.Interactions)]
public sealed partial class UserGrain(
    [PersistentState("user", StreamNames.Storage)] IPersistentState<UserState> state,
    CatalogCache catalog,
    SegmentationCache segmentation,
    CohortSnapshotCache cohorts,
    ActivityAggregator activity,
    UserGrainSettings settings,
    CohortlyMetrics metrics,
    IngestionBacklog backlog,
    TimeProvider time,
    ILogger<UserGrain> logger) : Grain, IUserGrain, IStreamSubscriptionObserver, IAsyncObserver<InteractionEvent>
{
    private const int MaxRecommendationIds = 20;
    private static readonly double SeedHalfLifeHours = new DecayedTopItems().HalfLifeHours;
    // Scratch for feature extraction, one per thread rather than per activation: every use is
    // synchronous within a turn, and 100k resident grains each holding their own buffer cost ~8 MB.
    [ThreadStatic]
    private static float[]? t_features;

    private static float[] _features => t_features ??= new float[ProfileFeatures.Count];
    private readonly ProfileOptions _profileOptions = settings.Profile;
    private IGrainTimer? _writeBehind;
    private string? _userId;
    private bool _dirty;

    /// <summary>Read once: the per-event path should not re-derive the key string.</summary>
    private string UserId => _userId ??= this.GetPrimaryKeyString();

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await WriteBehind(cancellationToken, retry: false);
    }

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        await handleFactory.Create<InteractionEvent>().ResumeAsync(this);
    }

    public Task OnNextAsync(InteractionEvent item, StreamSequenceToken? token = null)
    {
        backlog.Applied();
        if (RedisStreamSequenceToken.TryGetPosition(token, out var position))
        {
            if (state.State.LastApplied is { } last && position <= last)
            {
                state.State.DuplicatesIgnored++;
                metrics.EventsDuplicate.Add(1);
                MarkDirty();
                return Task.CompletedTask;
            }

            state.State.LastApplied = position;
        }

        Apply(item);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        LogStreamError(logger, ex);
        return Task.CompletedTask;
    }

    public Task<UserProfileView?> GetProfile()
    {
        var s = state.State;
        if (s.Profile.TotalEvents == 0)
        {
            return Task.FromResult<UserProfileView?>(null);
        }

        CatchUpWithSegmentation();
        return Task.FromResult<UserProfileView?>(UserViews.Profile(UserId, s, Membership(), time.GetUtcNow(), _profileOptions));
    }

    public Task<RecommendationResponse> Recommend(RecommendationRequest request)
    {
        CatchUpWithSegmentation();
        var s = state.State;
        var cohort = s.CohortId is { } id ? cohorts.Get(id) : null;
        var global = cohorts.Get(CohortSnapshotCache.Global);
        var excluded = new HashSet<string>(s.Profile.PurchasedItems, StringComparer.Ordinal);
        excluded.UnionWith(s.Profile.DismissedItems);

        var ranked = PopularityRanker.Rank(
            ToScored(cohort?.TopItems),
            ToScored(global?.TopItems),
            item => excluded.Contains(item) || !catalog.IsAvailable(item),
            request.Count);

        var label = s.CohortId is { } cid ? segmentation.LabelOf(cid) ?? cohort?.Label : null;
        var items = new List<RecommendedItem>(ranked.Count);
        foreach (var r in ranked)
        {
            var reason = r.FromPrimary ? $"popular in your cohort \"{label}\"" : "popular with all shoppers";
            items.Add(new RecommendedItem(r.ItemId, Math.Round(r.Score, 6), reason));
        }

        var strategy = ranked.Count == 0 ? "empty"
            : cohort is not null && ranked[0].FromPrimary ? "cohort-popularity"
            : "global-popularity";
        var recommendationId = Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        s.RecentRecommendationIds.Add(recommendationId);
        if (s.RecentRecommendationIds.Count > MaxRecommendationIds)
        {
            s.RecentRecommendationIds.RemoveAt(0);
        }

        metrics.Recommendations.Add(1, new KeyValuePair<string, object?>("strategy", strategy));
        // No write of its own: recommendation ids ride along with the next event-driven write (or the
        // one on deactivation). A write per request turned every read into storage traffic and cut
        // recommendation throughput by an order of magnitude.
        _dirty = true;
        return Task.FromResult(new RecommendationResponse(recommendationId, UserId, s.CohortId, label, strategy, items));
    }

    private void Apply(InteractionEvent e)
    {
        var s = state.State;
        if (!s.Seen.TryAdd(e.EventId))
        {
            s.DuplicatesIgnored++;
            metrics.EventsDuplicate.Add(1);
            MarkDirty();
            return;
        }

        var item = catalog.Find(e.ItemId);
        // The catalog's id string is shared by every profile that remembers the item.
        var interaction = e.ToInteraction() with { ItemId = item?.Id ?? e.ItemId };
        s.Profile.Apply(interaction, item, _profileOptions);
        metrics.EventsApplied.Add(1);
        MarkDirty();

        var now = time.GetUtcNow();
        ProfileFeatures.Extract(s.Profile, now.ToUnixTimeMilliseconds(), _features);
        activity.RecordFeatures(UserId, _features);
        RecheckCohort(now);
        activity.RecordInteraction(s.CohortId, e.ItemId, UserProfile.Weight(e.Type, e.Value));
    }

    private void RecheckCohort(DateTimeOffset now)
    {
        var model = segmentation.Current;
        if (model is null)
        {
            return;
        }

        var s = state.State;
        var cohort = model.Assign(_features);
        if (cohort != s.CohortId)
        {
            s.Transitions.Add(new CohortTransition(s.CohortId, cohort, now, model.Version));
            if (s.Transitions.Count > settings.MaxTransitions)
            {
                s.Transitions.RemoveAt(0);
            }

            activity.RecordTransition(s.CohortId, cohort);
            metrics.CohortTransitions.Add(1);
            s.CohortId = cohort;
            s.CohortSince = now;
            SeedCohortPopularity(cohort, now);
        }

        s.SegmentationVersion = model.Version;
    }

    /// <summary>A user idle since a new segmentation was published is re-assigned when next read.</summary>
    private void CatchUpWithSegmentation()
    {
        var s = state.State;
        if (s.Profile.TotalEvents > 0 && segmentation.Current is { } model && model.Version != s.SegmentationVersion)
        {
            var now = time.GetUtcNow();
            ProfileFeatures.Extract(s.Profile, now.ToUnixTimeMilliseconds(), _features);
            RecheckCohort(now);
            // Derived from the profile and the segmentation, so it needs no write of its own: it is
            // persisted with the next event-driven write or on deactivation. Reads stay storage-free.
            _dirty = true;
        }
    }

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
            activity.RecordCohortItem(cohort, recent.ItemId, weight);
        }
    }

    private CohortMembership? Membership()
    {
        var s = state.State;
        if (s.CohortId is not { } id)
        {
            return null;
        }

        var label = segmentation.LabelOf(id) ?? cohorts.Get(id)?.Label ?? $"cohort {id}";
        return new CohortMembership(id, label, s.SegmentationVersion, s.CohortSince ?? time.GetUtcNow());
    }

    /// <summary>
    /// Arms a one-shot write-behind timer. Idle users hold no timer at all, which matters with
    /// 100k resident grains; a busy user is written at most once per interval.
    /// </summary>
    private void MarkDirty()
    {
        _dirty = true;
        _writeBehind ??= this.RegisterGrainTimer(static (g, ct) => g.WriteBehind(ct, retry: true), this, new GrainTimerCreationOptions(settings.WriteBehind, Timeout.InfiniteTimeSpan));
    }

    private async Task WriteBehind(CancellationToken cancellationToken, bool retry)
    {
        // The timer is disposed only after the write: disposing a grain timer cancels the token its
        // running callback holds, which cancelled every write-behind in flight. Each cancelled write
        // re-armed the timer, so every dirty user retried every interval forever and population
        // slowed down with the number of users (plus a warning with a stack trace per retry).
        var timer = _writeBehind;
        try
        {
            if (!_dirty)
            {
                return;
            }

            _dirty = false;
            try
            {
                await state.WriteStateAsync(cancellationToken);
            }
            catch
            {
                _dirty = true;
                throw;
            }
        }
        finally
        {
            if (ReferenceEquals(timer, _writeBehind))
            {
                _writeBehind = null;
            }

            timer?.Dispose();
            if (_dirty && retry)
            {
                MarkDirty();
            }
        }
    }

    private static IReadOnlyList<ScoredItem> ToScored(IReadOnlyList<ItemScore>? items)
    {
        if (items is null)
        {
            return [];
        }

        var result = new ScoredItem[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            result[i] = new ScoredItem(items[i].ItemId, items[i].Score);
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interaction stream reported an error")]
    private static partial void LogStreamError(ILogger logger, Exception exception);
}
