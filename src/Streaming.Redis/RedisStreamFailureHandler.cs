using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Called by the pulling agent when a consumer kept failing for the agent's
/// <c>MaxEventDeliveryTime</c>. The agent then moves on; the receiver acknowledges the skipped
/// entry, and this handler leaves a dead-letter record so the skip is visible and replayable.
/// Subscriptions are not faulted: an implicit subscription cannot be, and faulting explicit ones
/// would stop every later event for one bad one.
/// </summary>
internal sealed partial class RedisStreamFailureHandler : IStreamFailureHandler
{
    private readonly RedisStreamDeadLetters _deadLetters;
    private readonly int _partition;
    private readonly ILogger _logger;

    public RedisStreamFailureHandler(RedisStreamDeadLetters deadLetters, int partition, ILogger logger)
    {
        _deadLetters = deadLetters;
        _partition = partition;
        _logger = logger;
    }

    public bool ShouldFaultSubsriptionOnError => false;

    public Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        // The stream key is a user id in Cohortly: it goes to the dead-letter record, not to the log.
        LogDeliveryFailed(streamProviderName, _partition, streamIdentity.GetNamespace(), sequenceToken?.ToString());
        return _deadLetters.RecordAsync("delivery-failed", _partition, TokenText(sequenceToken), streamIdentity.ToString(), $"subscription {subscriptionId}", CancellationToken.None);
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        LogSubscriptionFailed(streamProviderName, _partition, streamIdentity.GetNamespace(), sequenceToken?.ToString());
        return _deadLetters.RecordAsync("subscription-failed", _partition, TokenText(sequenceToken), streamIdentity.ToString(), $"subscription {subscriptionId}", CancellationToken.None);
    }

    private static string? TokenText(StreamSequenceToken? token) =>
        token is RedisStreamSequenceToken redis ? redis.Position.ToString() : token?.ToString();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: delivery failed for an event of namespace {Namespace} at {Position}; recorded in the dead-letter stream and skipped.")]
    private partial void LogDeliveryFailed(string provider, int partition, string? @namespace, string? position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream provider {Provider} partition {Partition}: subscription failed for namespace {Namespace} at {Position}; recorded in the dead-letter stream.")]
    private partial void LogSubscriptionFailed(string provider, int partition, string? @namespace, string? position);
}
