using Cohortly.Contracts;
using Orleans.Concurrency;

namespace Cohortly.Grains.Users;

/// <summary>
/// A user's recommendations and profile on the silo that takes a client's request: <see cref="SiloUserReads"/> on
/// that silo (in place when the user is active there, otherwise a message to the user grain). A gateway that hosts a
/// silo does not come here: it calls <see cref="SiloUserReads"/> directly.
/// </summary>
/// <remarks>
/// A stateless worker, so every silo answers locally and the worker's activations stay resident (a message to them
/// is not a message to a per-user activation). With several silos a user is active on one of them, so the requests
/// that reach another silo take the message path. Reentrant: it holds no state, and a read waiting on a user's
/// activation (a reactivation reads storage) must not hold up the reads queued behind it.
/// </remarks>
[StatelessWorker]
[Reentrant]
public sealed class UserServingGrain(SiloUserReads reads) : Grain, IUserServingGrain
{
    public Task<RecommendationResponse> Recommend(string userId, RecommendationRequest request) => reads.Recommend(userId, request);

    public Task<UserProfileView?> GetProfile(string userId) => reads.GetProfile(userId);
}
