namespace Cohortly.Contracts;

/// <summary>One user's validated events of a request, in the order they came.</summary>
public sealed record UserEventBatch(string UserId, IReadOnlyList<InteractionEvent> Events);

/// <summary>
/// Where the gateway hands validated events. Each backend registers its own (src/Grains/Hosting/&lt;Backend&gt;/), so
/// the gateway knows nothing of in-process backlogs, training logs or stream append timeouts: it validates, groups
/// by user and appends.
/// </summary>
public interface IEventSink
{
    /// <summary>
    /// Completes once each batch is durably taken or known not to be. Busy: nothing was taken and the client should
    /// retry after <see cref="EventSinkResult.RetryAfter"/>; otherwise a reason per batch that was not taken.
    /// </summary>
    Task<EventSinkResult> AppendAsync(IReadOnlyList<UserEventBatch> batches, CancellationToken cancellationToken);
}

/// <summary>
/// The answer of <see cref="IEventSink.AppendAsync"/>: either busy (nothing taken, retry after a delay), or for each
/// batch, in order, null when it was taken or the reason it was not (a retry is safe: events are deduplicated by id).
/// </summary>
public sealed record EventSinkResult
{
    private EventSinkResult(TimeSpan? retryAfter, string? busyReason, IReadOnlyList<string?> failures)
    {
        RetryAfter = retryAfter;
        BusyReason = busyReason;
        Failures = failures;
    }

    /// <summary>Set when the sink took nothing because it is behind: the delay after which a retry is worth it.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Why the sink is busy (for the problem's detail), when <see cref="RetryAfter"/> is set.</summary>
    public string? BusyReason { get; }

    /// <summary>Per batch, in order: null when taken, else why not. Empty when busy.</summary>
    public IReadOnlyList<string?> Failures { get; }

    public bool IsBusy => RetryAfter is not null;

    public static EventSinkResult Busy(TimeSpan retryAfter, string reason) => new(retryAfter, reason, []);

    /// <summary><paramref name="failures"/> has one entry per batch: null for a batch that was taken.</summary>
    public static EventSinkResult Completed(IReadOnlyList<string?> failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        return new(null, null, failures);
    }
}
