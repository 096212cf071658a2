using Orleans.Runtime;

namespace Cohortly.Grains.Users;

/// <summary>
/// The activation timed in parts (<see cref="ActivationClock"/>): Orleans hands a grain instance that participates its
/// lifecycle, and every entry point other than a recommendation drops the clock (<see cref="NotTimed"/>), so only an
/// activation whose first call is a recommendation reports the first call's parts. A migrated activation (the
/// activation rebalancer) carries its state instead of reading it and may be called long after it moved: it reports
/// nothing.
/// </summary>
public sealed partial class UserGrain : ILifecycleParticipant<IGrainLifecycle>, IGrainMigrationParticipant
{
    public void Participate(IGrainLifecycle lifecycle) => _activation?.Participate(lifecycle);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activation?.Activated(services.Metrics);
        Arrived();
        return Task.CompletedTask;
    }

    public void OnDehydrate(IDehydrationContext dehydrationContext)
    {
        // Nothing of the clock moves with the user.
    }

    public void OnRehydrate(IRehydrationContext rehydrationContext) => _activation?.Cancel();

    /// <summary>A first call that is not a recommendation: nothing of it is timed, and the clock goes.</summary>
    private void NotTimed()
    {
        if (_activation is { } clock)
        {
            clock.Release();
            _activation = null;
        }
    }
}
