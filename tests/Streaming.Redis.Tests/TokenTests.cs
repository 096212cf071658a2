using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Cohortly.Streaming.Redis.Tests;

public sealed class TokenTests
{
    [Fact]
    public void Entry_ids_parse_format_and_order_like_redis()
    {
        var id = RedisEntryId.Parse("1700000000123-7");
        Assert.Equal(new RedisEntryId(1700000000123, 7), id);
        Assert.Equal("1700000000123-7", id.ToString());
        Assert.True(new RedisEntryId(5, 9) < new RedisEntryId(6, 0));
        Assert.True(new RedisEntryId(6, 1) > new RedisEntryId(6, 0));
        Assert.True(RedisEntryId.Zero < new RedisEntryId(0, 1));
        Assert.False(RedisEntryId.TryParse("17-", out _));
        Assert.False(RedisEntryId.TryParse("abc-1", out _));
        Assert.Throws<FormatException>(() => RedisEntryId.Parse("42"));
    }

    [Fact]
    public void Tokens_order_by_entry_id_then_event_index_even_where_the_packed_number_saturates()
    {
        // Two entries in one millisecond whose sequences exceed the 20 bits of SequenceNumber.
        var a = new RedisStreamSequenceToken(new RedisEntryId(1000, 2_000_000), 0);
        var b = new RedisStreamSequenceToken(new RedisEntryId(1000, 2_000_001), 0);
        Assert.Equal(a.SequenceNumber, b.SequenceNumber);
        Assert.True(a.CompareTo(b) < 0);
        Assert.True(b.Newer(a));
        Assert.True(a.ForEvent(1).CompareTo(a) > 0);
        Assert.True(a.ForEvent(1).CompareTo(b) < 0);
        Assert.Equal(a, new RedisStreamSequenceToken(new RedisEntryId(1000, 2_000_000)));
        Assert.NotEqual(a, (StreamSequenceToken)a.ForEvent(1));
        Assert.Equal(1, a.CompareTo(null));
    }

    [Fact]
    public void Comparing_with_another_providers_token_is_reported_as_incompatible()
    {
        var token = new RedisStreamSequenceToken(new RedisEntryId(1, 1));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => token.CompareTo(new EventSequenceTokenV2(1)));
        Assert.Equal("other", error.ParamName);
        Assert.False(token.Equals(new EventSequenceTokenV2(1)));
    }

    [Fact]
    public void Consumers_get_a_position_from_redis_tokens_and_none_from_other_tokens()
    {
        var token = new RedisStreamSequenceToken(new RedisEntryId(10, 2), 3);
        Assert.True(RedisStreamSequenceToken.TryGetPosition(token, out var position));
        Assert.Equal(new RedisStreamPosition(new RedisEntryId(10, 2), 3), position);
        Assert.True(position.IsAfter(default));
        Assert.True(position > new RedisStreamPosition(new RedisEntryId(10, 2), 2));
        Assert.True(position < new RedisStreamPosition(new RedisEntryId(10, 3), 0));

        Assert.False(RedisStreamSequenceToken.TryGetPosition(new EventSequenceTokenV2(5), out _));
        Assert.False(RedisStreamSequenceToken.TryGetPosition(null, out _));
    }

    [Fact]
    public void Token_position_and_batch_survive_the_orleans_serializer()
    {
        var serializer = ProviderHarness.Serializer;
        var token = new RedisStreamSequenceToken(new RedisEntryId(1700000000000, 4), 2);
        var copy = serializer.Deserialize<StreamSequenceToken>(serializer.SerializeToArray<StreamSequenceToken>(token));
        var redisCopy = Assert.IsType<RedisStreamSequenceToken>(copy);
        Assert.Equal(token, redisCopy);
        Assert.Equal(token.Position, redisCopy.Position);

        var position = serializer.Deserialize<RedisStreamPosition>(serializer.SerializeToArray(token.Position));
        Assert.Equal(token.Position, position);

        var stream = Orleans.Runtime.StreamId.Create("interactions", "u1");
        var batch = new RedisStreamBatchContainer(stream, new RedisEntryId(9, 9), [new ProbeEvent("u1", 1), "not a probe", new ProbeEvent("u1", 2)], null);
        var batchCopy = serializer.Deserialize<Orleans.Streams.IBatchContainer>(serializer.SerializeToArray<Orleans.Streams.IBatchContainer>(batch));
        Assert.NotNull(batchCopy);
        var events = batchCopy.GetEvents<ProbeEvent>().ToList();
        Assert.Equal(stream, batchCopy.StreamId);
        Assert.Equal([1, 2], events.Select(e => e.Item1.Sequence).ToArray());
        // The index is the position in the whole entry, so the string in the middle keeps index 1.
        Assert.Equal([0, 2], events.Select(e => ((RedisStreamSequenceToken)e.Item2).EventIndex).ToArray());
    }

    [Fact]
    public void Positions_round_trip_through_system_text_json_for_grain_state()
    {
        var position = new RedisStreamPosition(new RedisEntryId(1700000000000, 12), 1);
        var json = System.Text.Json.JsonSerializer.Serialize(position);
        Assert.Equal(position, System.Text.Json.JsonSerializer.Deserialize<RedisStreamPosition>(json));
    }
}
