using Orleans.Runtime;
using Orleans.Serialization;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>What one Redis entry carries, serialized with the Orleans serializer.</summary>
[GenerateSerializer]
[Alias("cohortly.streaming.redis.payload")]
internal sealed record RedisStreamPayload(
    [property: Id(0)] StreamId StreamId,
    [property: Id(1)] List<object> Events,
    [property: Id(2)] Dictionary<string, object>? RequestContext);

/// <summary>
/// Layout of a Redis entry: <c>v</c> (format version), <c>ns</c> and <c>key</c> (the Orleans
/// stream id as text, for operators and cheap filtering) and <c>data</c> (the Orleans-serialized
/// <see cref="RedisStreamPayload"/>, which is authoritative).
/// </summary>
internal sealed class RedisStreamEntryCodec
{
    public static readonly RedisValue VersionField = "v";
    public static readonly RedisValue NamespaceField = "ns";
    public static readonly RedisValue KeyField = "key";
    public static readonly RedisValue DataField = "data";
    private static readonly RedisValue CurrentVersion = "1";

    private readonly Serializer<RedisStreamPayload> _serializer;

    public RedisStreamEntryCodec(Serializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        _serializer = serializer.GetSerializer<RedisStreamPayload>();
    }

    public NameValueEntry[] Encode(StreamId streamId, List<object> events, Dictionary<string, object>? requestContext)
    {
        var data = _serializer.SerializeToArray(new RedisStreamPayload(streamId, events, requestContext));
        return
        [
            new NameValueEntry(VersionField, CurrentVersion),
            new NameValueEntry(NamespaceField, streamId.GetNamespace() ?? string.Empty),
            new NameValueEntry(KeyField, streamId.GetKeyAsString()),
            new NameValueEntry(DataField, data),
        ];
    }

    /// <summary>Decodes an entry; on failure <paramref name="error"/> says why (never throws for bad data).</summary>
    public bool TryDecode(ReadOnlySpan<NameValueEntry> values, out RedisStreamPayload? payload, out string? error) =>
        TryDecode(values, out payload, out _, out error);

    /// <summary>
    /// Decodes an entry and its link to the previous entry of the same stream (null when the entry
    /// carries none: it was appended before links existed).
    /// </summary>
    public bool TryDecode(ReadOnlySpan<NameValueEntry> values, out RedisStreamPayload? payload, out RedisEntryId? previous, out string? error)
    {
        payload = null;
        previous = null;
        RedisValue version = RedisValue.Null;
        RedisValue data = RedisValue.Null;
        foreach (var field in values)
        {
            if (field.Name == VersionField)
            {
                version = field.Value;
            }
            else if (field.Name == DataField)
            {
                data = field.Value;
            }
            else if (field.Name == RedisStreamCommands.PreviousField)
            {
                previous = RedisStreamCommands.ParsePrevious(field.Value);
            }
        }

        if (version != CurrentVersion)
        {
            error = version.IsNull ? "entry has no format version field" : $"unknown entry format version '{version}'";
            return false;
        }

        if (data.IsNull)
        {
            error = "entry has no data field";
            return false;
        }

        try
        {
            payload = _serializer.Deserialize((byte[])data!);
        }
        catch (Exception ex)
        {
            // A type that no longer exists or a corrupt value: the caller dead-letters the entry
            // instead of stalling the partition on it.
            error = $"payload could not be deserialized: {ex.GetType().Name}: {ex.Message}";
            return false;
        }

        if (payload?.Events is null)
        {
            error = "payload has no events";
            payload = null;
            return false;
        }

        error = null;
        return true;
    }
}
