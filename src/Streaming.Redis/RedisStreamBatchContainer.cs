using Orleans.Runtime;
using Orleans.Streams;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// One Redis entry as the pulling agent sees it: the events of one <c>OnNextBatchAsync</c> call,
/// the request context captured by the producer, and the entry's token.
/// </summary>
[GenerateSerializer]
[Alias("cohortly.streaming.redis.batch")]
internal sealed class RedisStreamBatchContainer : IBatchContainer
{
    [Id(0)]
    private readonly RedisStreamSequenceToken _token;

    [Id(1)]
    private readonly List<object> _events;

    [Id(2)]
    private readonly Dictionary<string, object>? _requestContext;

    [NonSerialized]
    private long _handOutSequence = -1;

    public RedisStreamBatchContainer(
        StreamId streamId,
        RedisEntryId entryId,
        List<object> events,
        Dictionary<string, object>? requestContext,
        RedisEntryId? previousEntryId = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        StreamId = streamId;
        _token = new RedisStreamSequenceToken(entryId, 0, previousEntryId);
        _events = events;
        _requestContext = requestContext;
    }

    [Id(3)]
    public StreamId StreamId { get; }

    public StreamSequenceToken SequenceToken => _token;

    public RedisEntryId EntryId => _token.EntryId;

    public int EventCount => _events.Count;

    /// <summary>
    /// Order in which the owning receiver handed this batch to the agent. Receiver-local
    /// bookkeeping (no <c>[Id]</c>, so it never travels): it lets the receiver tell a delivered
    /// batch from one the cache dropped after a failed delivery.
    /// </summary>
    internal long HandOutSequence
    {
        get => _handOutSequence;
        set => _handOutSequence = value;
    }

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        // The index is the position in the whole entry, not among the T-typed events, so a token
        // means the same thing whatever type the consumer asks for.
        for (var i = 0; i < _events.Count; i++)
        {
            if (_events[i] is T typed)
            {
                yield return Tuple.Create<T, StreamSequenceToken>(typed, _token.ForEvent(i));
            }
        }
    }

    public bool ImportRequestContext()
    {
        if (_requestContext is null)
        {
            return false;
        }

        RequestContextExtensions.Import(_requestContext);
        return true;
    }

    public override string ToString() => $"[RedisStreamBatch {EntryId} events={_events.Count}]";
}
