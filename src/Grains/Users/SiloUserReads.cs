using Cohortly.Contracts;
using Cohortly.Grains.Hosting;

namespace Cohortly.Grains.Users;

/// <summary>
/// A user's per-request reads on this silo: run on the user's own activation when it is active here
/// (<see cref="LocalUsers"/>, no grain message), otherwise a call to the user grain. Either way the user grain's code
/// answers from the user grain's state; the counter <c>cohortly.user.reads</c> says which path (tag <c>path</c>:
/// in_place or message). The silo's <see cref="IUserReads"/>, so a gateway hosting this silo calls it directly, and
/// what the user-serving worker (<see cref="UserServingGrain"/>) runs for a gateway that is only a client.
/// </summary>
public sealed class SiloUserReads(LocalUsers local, IGrainFactory grains, CohortlyMetrics metrics) : IUserReads
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
        return grains.GetUserGrain(userId).Recommend(request);
    }

    private Task<UserProfileView?> MessagedProfile(string userId)
    {
        metrics.UserReads.Add(1, MessagePath);
        return grains.GetUserGrain(userId).GetProfile();
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
        return await message(grains, state);
    }
}

/// <summary>
/// A client-only gateway's <see cref="IUserReads"/>: the user-serving worker of the user's bucket
/// (<see cref="GrainReferences.GetUserServingGrain"/>), on whichever silo the client's gateway connection reaches.
/// </summary>
public sealed class WorkerUserReads(IGrainFactory grains) : IUserReads
{
    public Task<RecommendationResponse> Recommend(string userId, RecommendationRequest request) => grains.GetUserServingGrain(userId).Recommend(userId, request);

    public Task<UserProfileView?> GetProfile(string userId) => grains.GetUserServingGrain(userId).GetProfile(userId);
}
