using Cohortly.Contracts;
using Cohortly.Grains.Hosting;

namespace Cohortly.Gateway.Ingestion;

/// <summary>
/// Validates a batch, stamps it, groups it by user and hands it to the backend's <see cref="IEventSink"/>. An event
/// counts as accepted only after the sink took it, so a 202 never hides a lost event; an event the sink did not take
/// is reported per item.
/// </summary>
public sealed class EventIngestor(IEventSink sink, TimeProvider time, CohortlyMetrics metrics, Cohortly.Modeling.Events.ContextSchema context, GatewayIngestionCounters counters)
{
    public async Task<EventBatchResponse> IngestAsync(IReadOnlyList<EventDto?> events, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = new List<EventError>();
        var byUser = new Dictionary<string, List<(int Index, InteractionEvent Event)>>(StringComparer.Ordinal);
        for (var i = 0; i < events.Count; i++)
        {
            if (EventValidator.TryValidate(events[i], i, now, context, out var accepted, out var error))
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
        var valid = events.Count - errors.Count;
        if (byUser.Count > 0)
        {
            published = await Append(byUser, errors, cancellationToken);
        }

        errors.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        metrics.EventsAccepted.Add(published);
        metrics.EventsRejected.Add(events.Count - published);
        counters.Record(published, events.Count - published);
        return new EventBatchResponse(published, events.Count - published, errors) { Unavailable = valid - published };
    }

    private async Task<int> Append(Dictionary<string, List<(int Index, InteractionEvent Event)>> byUser, List<EventError> errors, CancellationToken cancellationToken)
    {
        var groups = new List<(int Index, InteractionEvent Event)>[byUser.Count];
        var batches = new UserEventBatch[byUser.Count];
        var n = 0;
        foreach (var (userId, list) in byUser)
        {
            var userEvents = new InteractionEvent[list.Count];
            for (var i = 0; i < userEvents.Length; i++)
            {
                userEvents[i] = list[i].Event;
            }

            groups[n] = list;
            batches[n++] = new UserEventBatch(userId, userEvents);
        }

        var result = await sink.AppendAsync(batches, cancellationToken);
        if (result.IsBusy)
        {
            counters.RecordBusy();
            throw new IngestionBusyException(result.RetryAfter!.Value, result.BusyReason ?? "the event sink is busy; retry shortly");
        }

        var published = 0;
        for (var g = 0; g < groups.Length; g++)
        {
            if (result.Failures[g] is not { } reason)
            {
                published += groups[g].Count;
                continue;
            }

            foreach (var (index, e) in groups[g])
            {
                errors.Add(new EventError(index, e.EventId, $"events[{index}]", reason));
            }
        }

        return published;
    }
}

/// <summary>The backend is behind on applying events and took none of the batch; the client should retry after <see cref="RetryAfter"/>.</summary>
public sealed class IngestionBusyException(TimeSpan retryAfter, string message) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
