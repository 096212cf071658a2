using Cohortly.Contracts;
using Cohortly.Streaming.Redis;
using Orleans.Runtime;

namespace Cohortly.Grains.Users;

/// <summary>
/// Asked by a partition's owner about a user whose log entries nobody acknowledged in time: the silo
/// that applied them died before saving. The user grain (reactivated wherever Orleans places it)
/// reads what it lacks from the log, saves and acknowledges.
/// </summary>
public sealed class UserLogRecovery(IGrainFactory grains) : IRedisStreamRecovery
{
    public Task RecoverAsync(StreamId streamId, CancellationToken cancellationToken)
    {
        if (streamId.GetNamespace() != StreamNames.Interactions)
        {
            return Task.CompletedTask;
        }

        return grains.GetUserGrain(streamId.GetKeyAsString()).CatchUpFromLog().WaitAsync(cancellationToken);
    }
}
