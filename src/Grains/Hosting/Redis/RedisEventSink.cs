using Cohortly.Contracts;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Hosting.Redis;

/// <summary>
/// The Redis backend's sink: the Redis event streams are both the queue and the training log, so a batch is taken
/// once its XADD returned. Redis is outside the process, so the request gets <c>Cohortly:Streams:AppendTimeout</c>:
/// the client gets 503 + Retry-After instead of waiting on an unreachable Redis. The backlog lives in Redis, so this
/// sink is never busy.
/// </summary>
public sealed class RedisEventSink(InteractionStreamPublisher publisher, IOptions<CohortlyOptions> options) : IEventSink
{
    public async Task<EventSinkResult> AppendAsync(IReadOnlyList<UserEventBatch> batches, CancellationToken cancellationToken) =>
        EventSinkResult.Completed(await publisher.PublishAsync(batches, options.Value.Streams.AppendTimeout, published: null, cancellationToken));
}
