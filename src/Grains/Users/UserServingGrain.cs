using Cohortly.Contracts;
using Orleans.Concurrency;

namespace Cohortly.Grains.Users;

/// <summary>
/// A user's recommendations and profile on the silo that takes the request: run on the user's own activation when it
/// is active here (<see cref="LocalUsers"/>, no grain message), otherwise a call to the user grain. Either way the
/// user grain's code answers from the user grain's state; the counter <c>cohortly.user.reads</c> says which path
/// (tag <c>path</c>: in_place or message).
/// </summary>
/// <remarks>
/// A stateless worker, so every silo answers locally and the worker's activations stay resident (a message to them
/// is not a message to a per-user activation). With several silos a user is active on one of them, so the requests
/// that reach another silo take the message path, as every request did before. Reentrant: it holds no state, and a
/// read waiting on a user's activation (a reactivation reads storage) must not hold up the reads queued behind it.
/// </remarks>
[StatelessWorker]
[Reentrant]
public sealed class UserServingGrain(LocalUsers local, Hosting.CohortlyMetrics metrics) : Grain, IUserServingGrain
{
    private static readonly KeyValuePair<string, object?> InPlacePath = new("path", "in_place");
    private static readonly KeyValuePair<string, object?> MessagePath = new("path", "message");

    public Task<RecommendationResponse> Recommend(string userId, RecommendationRequest request)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(request);
        return local.TryRun(userId, request, UserGrain.RecommendInPlace) is { } inPlace
            ? Answered(inPlace, (userId, request), static (grains, s) => grains.GetUserGrain(s.userId).Recommend(s.request))
            : Messaged(userId, request);
    }

    public Task<UserProfileView?> GetProfile(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return local.TryRun(userId, UserGrain.ProfileInPlace) is { } inPlace
            ? Answered(inPlace, userId, static (grains, id) => grains.GetUserGrain(id).GetProfile())
            : MessagedProfile(userId);
    }

    private Task<RecommendationResponse> Messaged(string userId, RecommendationRequest request)
    {
        metrics.UserReads.Add(1, MessagePath);
        return GrainFactory.GetUserGrain(userId).Recommend(request);
    }

    private Task<UserProfileView?> MessagedProfile(string userId)
    {
        metrics.UserReads.Add(1, MessagePath);
        return GrainFactory.GetUserGrain(userId).GetProfile();
    }

    /// <summary>The answer read in place, or — when the activation declined (leaving, or due a message) — the grain's.</summary>
    private async Task<T> Answered<T, TState>(Task<InPlace<T>> inPlace, TState state, Func<IGrainFactory, TState, Task<T>> message)
    {
        var read = await inPlace;
        if (read.Served)
        {
            metrics.UserReads.Add(1, InPlacePath);
            return read.Value;
        }

        metrics.UserReads.Add(1, MessagePath);
        return await message(GrainFactory, state);
    }
}
