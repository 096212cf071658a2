using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Hosting.Embedded;

/// <summary>
/// The embedded backend's sink: the gateway and the only silo share the process and the event queue is in memory, so
/// a batch first waits for room under <c>Cohortly:MaxIngestBacklog</c> (busy after <c>Cohortly:IngestWait</c>),
/// then goes to the training log files (before the 202, so an accepted event is always in the log), then to the
/// memory stream. Nothing here can stall on a remote store, so the publish has no timeout.
/// </summary>
public sealed partial class EmbeddedEventSink : IEventSink
{
    private const string LogRefused = "the training log did not accept the event; retry it (retries are deduplicated by eventId)";

    private readonly IInteractionLog _log;
    private readonly InteractionStreamPublisher _publisher;
    private readonly IOptions<CohortlyOptions> _options;
    private readonly ILogger<EmbeddedEventSink> _logger;
    private readonly IngestionBacklog? _backlog;
    private readonly Action<int>? _published;

    /// <param name="backlog">The silo's count of events published but not applied; absent in a client-only host.</param>
    public EmbeddedEventSink(IInteractionLog log, InteractionStreamPublisher publisher, IOptions<CohortlyOptions> options, ILogger<EmbeddedEventSink> logger, IngestionBacklog? backlog = null)
    {
        _log = log;
        _publisher = publisher;
        _options = options;
        _logger = logger;
        _backlog = backlog;
        _published = backlog is null ? null : backlog.Published;
    }

    public async Task<EventSinkResult> AppendAsync(IReadOnlyList<UserEventBatch> batches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var count = 0;
        foreach (var batch in batches)
        {
            count += batch.Events.Count;
        }

        var o = _options.Value;
        if (count > 0 && _backlog is not null && !await _backlog.WaitForRoomAsync(count, o.MaxIngestBacklog, o.IngestWait, cancellationToken))
        {
            return EventSinkResult.Busy(TimeSpan.FromSeconds(1), $"{_backlog.Pending} accepted events are still being applied; retry shortly");
        }

        if (count > 0 && !await AppendToLog(batches, count, cancellationToken))
        {
            var refused = new string?[batches.Count];
            Array.Fill(refused, LogRefused);
            return EventSinkResult.Completed(refused);
        }

        return EventSinkResult.Completed(await _publisher.PublishAsync(batches, timeout: null, _published, cancellationToken));
    }

    /// <summary>A retry after a failed publish appends again; the log's readers deduplicate by event id.</summary>
    private async Task<bool> AppendToLog(IReadOnlyList<UserEventBatch> batches, int count, CancellationToken cancellationToken)
    {
        var all = new InteractionEvent[count];
        var n = 0;
        foreach (var batch in batches)
        {
            foreach (var e in batch.Events)
            {
                all[n++] = e;
            }
        }

        try
        {
            await _log.AppendAsync(all, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAppendFailed(_logger, count, ex);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Appending {Count} events to the training log failed")]
    private static partial void LogAppendFailed(ILogger logger, int count, Exception exception);
}
