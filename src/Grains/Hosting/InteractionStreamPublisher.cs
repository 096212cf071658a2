using Cohortly.Contracts;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// What every backend's <see cref="IEventSink"/> does last: one publish per user on the interactions stream, keyed by
/// user id, all at once. An event counts as taken only after the stream provider took it.
/// </summary>
public sealed partial class InteractionStreamPublisher(IClusterClient client, ILogger<InteractionStreamPublisher> logger)
{
    private const string NotTaken = "the event stream did not accept the event; retry it (retries are deduplicated by eventId)";
    private const string NotConfirmed = "the event stream did not confirm the event in time; retry it (retries are deduplicated by eventId)";

    private IStreamProvider? _provider;

    /// <summary>
    /// Publishes every batch; with a <paramref name="timeout"/> the whole request gets that long (one timer per
    /// request, not per append) and a batch not confirmed by then is reported as not taken — it may still land, and
    /// its retry is then a duplicate the user grain drops by event id. <paramref name="published"/> runs for each
    /// batch the stream took.
    /// </summary>
    public async Task<string?[]> PublishAsync(IReadOnlyList<UserEventBatch> batches, TimeSpan? timeout, Action<int>? published, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var provider = _provider ??= client.GetStreamProvider(StreamNames.Provider);
        var tasks = new Task<bool>[batches.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Publish(provider, batches[i], published, cancellationToken);
        }

        var all = Task.WhenAll(tasks);
        if (timeout is { } limit)
        {
            try
            {
                await all.WaitAsync(limit, cancellationToken);
            }
            catch (TimeoutException)
            {
                LogPublishTimedOut(logger, limit);
            }
        }
        else
        {
            await all;
        }

        var failures = new string?[tasks.Length];
        for (var i = 0; i < tasks.Length; i++)
        {
            var done = tasks[i];
            if (!(done.IsCompletedSuccessfully && done.Result))
            {
                failures[i] = done.IsCompleted ? NotTaken : NotConfirmed;
            }
        }

        return failures;
    }

    private async Task<bool> Publish(IStreamProvider provider, UserEventBatch batch, Action<int>? published, CancellationToken cancellationToken)
    {
        var stream = provider.GetStream<InteractionEvent>(StreamId.Create(StreamNames.Interactions, batch.UserId));
        try
        {
            if (batch.Events.Count == 1)
            {
                await stream.OnNextAsync(batch.Events[0]).WaitAsync(cancellationToken);
            }
            else
            {
                await stream.OnNextBatchAsync(batch.Events).WaitAsync(cancellationToken);
            }

            published?.Invoke(batch.Events.Count);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, batch.Events.Count, ex);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The interactions stream did not confirm a batch within {Timeout}; unconfirmed events answered 503")]
    private static partial void LogPublishTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} events to the interactions stream failed")]
    private static partial void LogPublishFailed(ILogger logger, int count, Exception exception);
}
