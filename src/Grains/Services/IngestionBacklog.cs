namespace Cohortly.Grains.Services;

/// <summary>
/// Flow control for the embedded mode, where the gateway and the silo share one process and the
/// event queue is in memory: events published but not yet applied by user grains. Without it a
/// fast client fills the in-memory stream queues faster than grains drain them, and the growing
/// backlog makes every new stream cursor and every GC slower. In cluster mode the backlog lives
/// in Redis and this is not registered in the gateway.
/// </summary>
public sealed class IngestionBacklog(TimeProvider time)
{
    private long _published;
    private long _applied;

    public long Pending => Interlocked.Read(ref _published) - Interlocked.Read(ref _applied);

    /// <summary>Events applied by user grains since the silo started (the operators' panel turns it into a rate).</summary>
    public long AppliedTotal => Interlocked.Read(ref _applied);

    /// <summary>Events the embedded sink published to the memory stream since the silo started (0 in cluster mode).</summary>
    public long PublishedTotal => Interlocked.Read(ref _published);

    public void Published(int count) => Interlocked.Add(ref _published, count);

    public void Applied() => Interlocked.Increment(ref _applied);

    /// <summary>Waits until <paramref name="incoming"/> more events fit under <paramref name="limit"/>; false on timeout.</summary>
    public async Task<bool> WaitForRoomAsync(int incoming, long limit, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        // A batch larger than the limit is let through once the backlog is empty.
        while (Pending > 0 && Pending + incoming > limit)
        {
            if (time.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), time, cancellationToken);
        }

        return true;
    }
}
