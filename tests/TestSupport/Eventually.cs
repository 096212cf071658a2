using System.Diagnostics;
using System.Net.Sockets;

namespace Cohortly.TestSupport;

/// <summary>
/// Waits on a condition with a deadline instead of sleeping for a guessed time. The errors of something that is not
/// up yet (a refused connection, a request that timed out) count as "not yet"; any other exception fails at once.
/// A timeout throws <see cref="TimeoutException"/> naming what was awaited, which fails the test that awaited it; so
/// does a single read that does not answer within the timeout.
/// </summary>
public static class Eventually
{
    /// <summary>Used when a wait names no timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    // Short enough that a condition met in-process is seen at once; the conditions themselves take longer.
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>The least time one read is given, whatever the wait's timeout.</summary>
    private static readonly TimeSpan MinimumReadTime = TimeSpan.FromSeconds(1);

    /// <summary>Polls <paramref name="condition"/> until it holds; <paramref name="diagnostics"/> is added to the failure message.</summary>
    public static async Task True(Func<Task<bool>> condition, string description, TimeSpan? timeout = null, Func<string>? diagnostics = null, CancellationToken cancellationToken = default) =>
        await Value(condition, static done => done, description, timeout, diagnostics, cancellationToken);

    /// <summary>Reads a value until <paramref name="done"/> accepts it and returns that value; the last value read is in the failure message.</summary>
    public static async Task<T> Value<T>(Func<Task<T>> read, Func<T, bool> done, string description, TimeSpan? timeout = null, Func<string>? diagnostics = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? DefaultTimeout;
        var elapsed = Stopwatch.StartNew();
        string last = "nothing read yet";
        while (true)
        {
            try
            {
                var value = await Bounded(read(), limit, description, diagnostics, cancellationToken);
                if (done(value))
                {
                    return value;
                }

                last = $"last value: {value}";
            }
            catch (Exception e) when (IsNotUpYet(e) && !cancellationToken.IsCancellationRequested)
            {
                last = $"last error: {e.GetType().Name}: {e.Message}";
            }

            if (elapsed.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds:F0} s waiting until {description} ({last})\n{diagnostics?.Invoke()}");
            }

            await Task.Delay(Interval, cancellationToken);
        }
    }

    /// <summary>
    /// One read, given at most the whole wait's time: a read that never answers (a completion nobody signals, a fake
    /// clock nobody advances, a peer that accepted the connection and says nothing) fails the wait, naming it, instead
    /// of hanging the test run; the deadline alone is only checked between reads. A read that answers late but within
    /// that time is still judged, as before.
    /// </summary>
    private static async Task<T> Bounded<T>(Task<T> reading, TimeSpan limit, string description, Func<string>? diagnostics, CancellationToken cancellationToken)
    {
        // A wait of (almost) no time still gives its one read a moment, as it did before reads were bounded.
        var bound = limit > MinimumReadTime ? limit : MinimumReadTime;
        try
        {
            return await reading.WaitAsync(bound, cancellationToken);
        }
        catch (TimeoutException) when (!reading.IsCompleted)
        {
            throw new TimeoutException($"timed out after {bound.TotalSeconds:F1} s waiting until {description} (a read did not answer within the wait's timeout)\n{diagnostics?.Invoke()}");
        }
    }

    private static bool IsNotUpYet(Exception e) => e is HttpRequestException or TaskCanceledException or SocketException or IOException;
}
