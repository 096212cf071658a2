using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;

namespace Cohortly.Gateway.Ingestion;

/// <summary>
/// Validates a batch, stamps it, and publishes it to the interactions stream keyed by user id.
/// An event counts as accepted only after the stream provider accepted it, so a 202 never hides a
/// lost event; a failed publish is reported per item.
/// </summary>
public sealed partial class EventIngestor(
    IClusterClient client,
    TimeProvider time,
    CohortlyMetrics metrics,
    IOptions<CohortlyOptions> options,
    CohortlyBackend backend,
    ILogger<EventIngestor> logger,
    IngestionBacklog? backlog = null,
    IInteractionLog? log = null)
{
    private IStreamProvider? _provider;

    public async Task<EventBatchResponse> IngestAsync(IReadOnlyList<EventDto?> events, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = new List<EventError>();
        var byUser = new Dictionary<string, List<(int Index, InteractionEvent Event)>>(StringComparer.Ordinal);
        for (var i = 0; i < events.Count; i++)
        {
            if (EventValidator.TryValidate(events[i], i, now, out var accepted, out var error))
            {
                if (!byUser.TryGetValue(accepted!.UserId, out var list))
                {
                    list = [];
                    byUser[accepted.UserId] = list;
                }

                list.Add((i, accepted));
            }
            else
            {
                errors.Add(error!);
            }
        }

        var published = 0;
        var invalid = errors.Count;
        var valid = events.Count - invalid;
        if (byUser.Count > 0 && backlog is not null
            && !await backlog.WaitForRoomAsync(valid, options.Value.MaxIngestBacklog, options.Value.IngestWait, cancellationToken))
        {
            throw new IngestionBusyException(backlog.Pending);
        }

        if (byUser.Count > 0 && log is not null && !await AppendToLog(byUser, errors, cancellationToken))
        {
            byUser.Clear();
        }

        if (byUser.Count > 0)
        {
            published = await PublishAll(byUser, errors, cancellationToken);
        }

        errors.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        metrics.EventsAccepted.Add(published);
        metrics.EventsRejected.Add(events.Count - published);
        return new EventBatchResponse(published, events.Count - published, errors) { Unavailable = valid - published };
    }

    /// <summary>
    /// The training log gets the batch before the stream does, so an event acknowledged with 202 is always in it
    /// (embedded mode; in cluster mode the Redis stream is the log and this is a no-op). A retry after a failed
    /// publish appends again; readers deduplicate by event id.
    /// </summary>
    private async Task<bool> AppendToLog(Dictionary<string, List<(int Index, InteractionEvent Event)>> byUser, List<EventError> errors, CancellationToken cancellationToken)
    {
        var batch = new List<InteractionEvent>();
        foreach (var list in byUser.Values)
        {
            foreach (var (_, e) in list)
            {
                batch.Add(e);
            }
        }

        try
        {
            await log!.AppendAsync(batch, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAppendFailed(logger, batch.Count, ex);
            foreach (var list in byUser.Values)
            {
                foreach (var (index, e) in list)
                {
                    errors.Add(new EventError(index, e.EventId, $"events[{index}]", "the training log did not accept the event; retry it (retries are deduplicated by eventId)"));
                }
            }

            return false;
        }
    }

    /// <summary>
    /// One publish per user, all at once. With a backend outside the process (Redis) the whole batch gets <c>Cohortly:Streams:AppendTimeout</c>
    /// (one timer per request, not per append): a user whose append has not returned by then is reported as not
    /// taken — the client gets 503 + Retry-After instead of waiting on an unreachable Redis. Such an append may
    /// still land; the retry is then a duplicate the user grain drops by event id.
    /// </summary>
    private async Task<int> PublishAll(Dictionary<string, List<(int Index, InteractionEvent Event)>> byUser, List<EventError> errors, CancellationToken cancellationToken)
    {
        var provider = _provider ??= client.GetStreamProvider(StreamNames.Provider);
        var publishes = new List<(List<(int Index, InteractionEvent Event)> List, Task<bool> Done)>(byUser.Count);
        var tasks = new Task<bool>[byUser.Count];
        foreach (var (userId, list) in byUser)
        {
            var done = Publish(provider, userId, list, cancellationToken);
            tasks[publishes.Count] = done;
            publishes.Add((list, done));
        }

        var all = Task.WhenAll(tasks);
        if (!backend.InProcess)
        {
            try
            {
                await all.WaitAsync(options.Value.Streams.AppendTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                LogPublishTimedOut(logger, options.Value.Streams.AppendTimeout);
            }
        }
        else
        {
            await all;
        }

        var published = 0;
        foreach (var (list, done) in publishes)
        {
            if (done.IsCompletedSuccessfully && done.Result)
            {
                published += list.Count;
                continue;
            }

            var reason = done.IsCompleted
                ? "the event stream did not accept the event; retry it (retries are deduplicated by eventId)"
                : "the event stream did not confirm the event in time; retry it (retries are deduplicated by eventId)";
            foreach (var (index, e) in list)
            {
                errors.Add(new EventError(index, e.EventId, $"events[{index}]", reason));
            }
        }

        return published;
    }

    private async Task<bool> Publish(IStreamProvider provider, string userId, List<(int Index, InteractionEvent Event)> list, CancellationToken cancellationToken)
    {
        var stream = provider.GetStream<InteractionEvent>(StreamId.Create(StreamNames.Interactions, userId));
        try
        {
            if (list.Count == 1)
            {
                await stream.OnNextAsync(list[0].Event).WaitAsync(cancellationToken);
            }
            else
            {
                var batch = new InteractionEvent[list.Count];
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i] = list[i].Event;
                }

                await stream.OnNextBatchAsync(batch).WaitAsync(cancellationToken);
            }

            backlog?.Published(list.Count);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, list.Count, ex);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Appending {Count} events to the training log failed")]
    private static partial void LogAppendFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The interactions stream did not confirm a batch within {Timeout}; unconfirmed events answered 503")]
    private static partial void LogPublishTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} events to the interactions stream failed")]
    private static partial void LogPublishFailed(ILogger logger, int count, Exception exception);
}

/// <summary>The embedded silo is behind on applying events; the client should retry shortly.</summary>
public sealed class IngestionBusyException(long pending) : Exception($"{pending} accepted events are still being applied; retry shortly")
{
    public long Pending { get; } = pending;
}
