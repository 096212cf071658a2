using System.Runtime.CompilerServices;
using Orleans.Runtime;

namespace Cohortly.Gateway.Hosting;

/// <summary>
/// A grain call the cluster <em>rejected</em> (the target silo is leaving or its connection closed before the
/// message was processed) is tried again, at most twice after 50 and 200 ms: while a silo leaves gracefully the
/// directory moves its activations, and the next attempt reaches the new one. Only rejections are retried — the grain
/// method never ran, so a retry cannot apply anything twice; a timeout (which may have run) still answers 503
/// through <see cref="ClusterUnavailableHandler"/>. Measured reason: `bench scale` saw one 503 per SIGTERM of a loaded
/// silo before this (docs/benchmarks.md, "Silos come and go").
/// </summary>
/// <remarks>
/// On the per-user request path, so it leaves nothing behind per call: the call gets its arguments as a state value
/// (a static lambda, no closure) and the wait runs on a pooled state machine (a grain call always completes later,
/// so a plain async method boxed one per request).
/// </remarks>
public static class RejectedCallRetry
{
    private static readonly TimeSpan[] Delays = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200)];

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<T> Run<TState, T>(TState state, Func<TState, Task<T>> call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call(state).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < Delays.Length && IsRejection(e))
            {
                await Task.Delay(Delays[attempt], cancellationToken);
            }
        }
    }

    internal static bool IsRejection(Exception exception) => exception switch
    {
        OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException => true,
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsRejection(aggregate.InnerExceptions[0]),
        _ => false,
    };
}
