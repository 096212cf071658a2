using Cohortly.Contracts;

namespace Cohortly.Grains.Users;

/// <summary>
/// The reads <see cref="LocalUsers"/> runs on this activation's scheduler without a message: the same code as the grain
/// methods (<see cref="Recommend"/>, <see cref="GetProfile"/>), declined while the activation is leaving or when it has
/// had no message for half the idle age (the message that follows keeps it resident).
/// </summary>
public sealed partial class UserGrain
{
    /// <summary>When this activation last handled a message (Environment.TickCount64), read or event.</summary>
    private long _messagedAt = Environment.TickCount64;

    /// <summary>Set when deactivation starts: reads queued after it are declined and go to the next activation.</summary>
    private volatile bool _leaving;

    internal static InPlace<RecommendationResponse> RecommendInPlace(UserGrain grain, RecommendationRequest request) =>
        grain.Servable() ? InPlace<RecommendationResponse>.Answer(grain.Serve(request)) : InPlace<RecommendationResponse>.Declined;

    internal static InPlace<UserProfileView?> ProfileInPlace(UserGrain grain) =>
        grain.Servable() ? InPlace<UserProfileView?>.Answer(grain.Profile()) : InPlace<UserProfileView?>.Declined;

    private bool Servable()
    {
        if (_leaving || Environment.TickCount64 - _messagedAt >= services.Local.RefreshAfterMilliseconds)
        {
            return false;
        }

        NotTimed(); // an activation's first call is always a message; this only keeps the clock's rule in one place
        return true;
    }

    /// <summary>Marks a message: reads in place may follow for half the idle age.</summary>
    private void Messaged() => _messagedAt = Environment.TickCount64;

    private void Arrived()
    {
        services.Local.Register(UserId, this);
        // OnDeactivateAsync leaves first thing; Orleans skips it for an activation cancelled before it became valid,
        // so the end of the activation itself is the backstop: no registration outlives its activation.
        GrainContext.Deactivated.ContinueWith(static (_, grain) => ((UserGrain)grain!).Leaving(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Leaving()
    {
        _leaving = true;
        services.Local.Unregister(UserId, this);
    }
}
