namespace Cohortly.Contracts;

/// <summary>
/// The per-request reads of a user — recommendations and the profile — as the gateway makes them. Each way of hosting
/// registers its own: a gateway with a silo in its process (embedded mode) reads a user active on that silo on the
/// user's own activation with no grain message at all; a gateway that is only a cluster client asks a silo's
/// user-serving worker (<see cref="IUserServingGrain"/>), which does the same on its silo. The answer is always the
/// user grain's (<see cref="IUserGrain.Recommend"/>, <see cref="IUserGrain.GetProfile"/>).
/// </summary>
public interface IUserReads
{
    /// <summary>What <see cref="IUserGrain.Recommend"/> answers.</summary>
    Task<RecommendationResponse> Recommend(string userId, RecommendationRequest request);

    /// <summary>What <see cref="IUserGrain.GetProfile"/> answers.</summary>
    Task<UserProfileView?> GetProfile(string userId);
}
