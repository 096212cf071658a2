namespace Cohortly.Grains.Services;

/// <summary>
/// The catalog version reads of one silo's read-through (<see cref="CatalogCache.SettleAsync"/>), bounded by
/// construction: one read at a time, started no sooner than <c>interval</c> after the previous one, and every miss
/// joins the next read to start. A miss needs a version read that started after its event was received (an upsert
/// acknowledged before the event was sent is then seen): the last read answers when it started late enough (events
/// received more than <see cref="ClockAllowance"/> before it: a backlog, a catch-up), otherwise the next read to start
/// does. So any number of misses, on any number of distinct ids, costs the single catalog grain at most one call per
/// interval per silo (plus a snapshot load when the version moved). Before, each unknown id cost its own call, and ids
/// past the absent set's capacity one per event: a client sending random item ids sent every event to the catalog grain.
/// </summary>
internal sealed class CatalogVersionReads(TimeProvider time, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private TaskCompletionSource<long>? _next;
    private Task _running = Task.CompletedTask;
    private long _lastStarted = long.MinValue;
    private long _started;
    private (DateTimeOffset StartedAt, long Version)? _last;

    /// <summary>
    /// How far the gateway's clock (which stamps an event's receipt) may run ahead of this silo's: a read counts for an
    /// event only when it started at least this long after the event's receipt by the silo's clock.
    /// </summary>
    public static readonly TimeSpan ClockAllowance = TimeSpan.FromSeconds(1);

    /// <summary>Version reads started so far (what the catalog grain was asked).</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>
    /// The catalog version as read by a read that started after <paramref name="receivedAt"/> (plus the clock
    /// allowance): the last read's when it did, else the next read's, which starts after this call.
    /// </summary>
    public Task<long> NextAsync(DateTimeOffset receivedAt, Func<Task<long>> read, CancellationToken cancellationToken)
    {
        TaskCompletionSource<long>? mine = null;
        Task<long> joined;
        lock (_gate)
        {
            if (_last is { } last && last.StartedAt >= receivedAt + ClockAllowance)
            {
                return Task.FromResult(last.Version);
            }

            if (_next is { } pending)
            {
                joined = pending.Task;
            }
            else
            {
                mine = _next = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                joined = mine.Task;
                var previous = _running;
                // On the thread pool: a read shared by many user grains must not run on (and die with) the turn of
                // the grain that happened to queue it.
                _running = Task.Run(() => RunAsync(mine, previous, read), CancellationToken.None);
            }
        }

        return joined.WaitAsync(cancellationToken);
    }

    private async Task RunAsync(TaskCompletionSource<long> next, Task previous, Func<Task<long>> read)
    {
        try
        {
            await previous.ConfigureAwait(false); // never throws: RunAsync completes its own source instead
            var wait = _lastStarted == long.MinValue ? TimeSpan.Zero : interval - time.GetElapsedTime(_lastStarted);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time).ConfigureAwait(false);
            }

            DateTimeOffset startedAt;
            lock (_gate)
            {
                // From here on a miss queues the read after this one: this one may already be on its way.
                _next = null;
                _lastStarted = time.GetTimestamp();
                startedAt = time.GetUtcNow();
            }

            Interlocked.Increment(ref _started);
            var version = await read().ConfigureAwait(false);
            lock (_gate)
            {
                _last = (startedAt, version);
            }

            next.TrySetResult(version);
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                if (ReferenceEquals(_next, next))
                {
                    _next = null;
                }
            }

            next.TrySetException(e);
        }
    }
}
