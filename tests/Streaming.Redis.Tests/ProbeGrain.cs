using Orleans.Streams;
using Orleans.Streams.Core;

namespace Cohortly.Streaming.Redis.Tests;

public interface IProbeGrain : IGrainWithStringKey
{
    [Alias("GetReceived")]
    Task<List<ReceivedEvent>> GetReceived();
}

/// <summary>
/// Implicitly subscribed to every "interactions" stream: one activation per stream key, recording
/// what arrived, in arrival order, with the position its token carried.
/// </summary>
[ImplicitStreamSubscription(StreamingClusterFixture.Namespace)]
public sealed class ProbeGrain : Grain, IProbeGrain, IStreamSubscriptionObserver, IAsyncObserver<ProbeEvent>
{
    private readonly List<ReceivedEvent> _received = [];

    public Task<List<ReceivedEvent>> GetReceived() => Task.FromResult(_received.ToList());

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<ProbeEvent>().ResumeAsync(this);

    public Task OnNextAsync(ProbeEvent item, StreamSequenceToken? token = null)
    {
        if (!RedisStreamSequenceToken.TryGetPosition(token, out var position))
        {
            throw new InvalidOperationException($"Expected a Redis stream token, got {token?.GetType().Name ?? "null"}.");
        }

        _received.Add(new ReceivedEvent(item.Sequence, position, token.SequenceNumber));
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
