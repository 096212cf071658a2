using System.Collections.Concurrent;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Users;

/// <summary>
/// The user grains active on this silo, by user id, so a per-request read of one of them (a recommendation, the
/// profile) is answered on the activation's own scheduler instead of through a grain message
/// (<see cref="UserServingGrain"/>). An activation registers when it has activated and leaves when it starts to
/// deactivate (<see cref="UserGrain.OnDeactivateAsync"/>); the scheduler runs one piece of work of an activation at a
/// time, so a read queued there sees the user's state between two turns, exactly as a message would, and the user grain
/// stays the only owner of its state.
/// </summary>
/// <remarks>
/// Why not a message: every message to a per-user activation re-enters it into Orleans' activation working set and
/// dirties cards in its old objects, and at 5,000 requests/s over 100,000 users that was what kept recommendations'
/// p99 at 2-3 times the gateway's floor (docs/benchmarks.md, "Latency as a ratio to the machine's floor"). A message
/// is also what tells Orleans the activation is in use, so a user read only in place would be collected as idle:
/// a read goes through the grain once the user has had no message for half the idle age
/// (<see cref="RefreshAfterMilliseconds"/>), which keeps a read-only user resident as long as it is read.
/// </remarks>
public sealed class LocalUsers(IOptions<CohortlyOptions> options)
{
    private readonly ConcurrentDictionary<string, UserGrain> _active = new(StringComparer.Ordinal);

    /// <summary>How long after its last message a user may still be read in place: half of Cohortly:Users:IdleDeactivation.</summary>
    internal long RefreshAfterMilliseconds { get; } = (long)(options.Value.Users.IdleDeactivation / 2).TotalMilliseconds;

    /// <summary>User grains registered on this silo now.</summary>
    public int Count => _active.Count;

    internal void Register(string userId, UserGrain grain) => _active[userId] = grain;

    /// <summary>Removes the registration only if it is still this activation's (a newer one may have replaced it).</summary>
    internal void Unregister(string userId, UserGrain grain) => _active.TryRemove(new KeyValuePair<string, UserGrain>(userId, grain));

    /// <summary>
    /// Runs <paramref name="read"/> on the user's activation when it is active on this silo; null when it is not (the
    /// caller sends a message instead). The read itself answers <see cref="InPlace{T}.Declined"/> when the activation
    /// should get a message after all (it is leaving, or it needs a message to stay resident).
    /// </summary>
    internal Task<InPlace<TResult>>? TryRun<TArg, TResult>(string userId, TArg argument, Func<UserGrain, TArg, InPlace<TResult>> read)
    {
        if (!_active.TryGetValue(userId, out var grain))
        {
            return null;
        }

        var work = new Work<TArg, TResult>(grain, argument, read);
        grain.GrainContext.Scheduler.QueueAction(static w => ((Work<TArg, TResult>)w).Run(), work);
        return work.Task;
    }

    /// <inheritdoc cref="TryRun{TArg, TResult}"/>
    internal Task<InPlace<TResult>>? TryRun<TResult>(string userId, Func<UserGrain, InPlace<TResult>> read) =>
        TryRun(userId, read, static (grain, r) => r(grain));

    /// <summary>One read queued on an activation; Orleans runs every queued item, so the task always completes.</summary>
    private sealed class Work<TArg, TResult>(UserGrain grain, TArg argument, Func<UserGrain, TArg, InPlace<TResult>> read)
        : TaskCompletionSource<InPlace<TResult>>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public void Run()
        {
            try
            {
                TrySetResult(read(grain, argument));
            }
            catch (Exception e)
            {
                TrySetException(e);
            }
        }
    }
}

/// <summary>What a read run in place answered: <see cref="Served"/> with its value, or declined (send a message).</summary>
internal readonly record struct InPlace<T>(bool Served, T Value)
{
    public static InPlace<T> Declined => default;

    public static InPlace<T> Answer(T value) => new(true, value);
}
