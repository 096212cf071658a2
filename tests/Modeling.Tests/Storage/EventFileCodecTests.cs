using System.Buffers;
using System.Text;
using Cohortly.Modeling.Storage;

namespace Cohortly.Modeling.Tests.Storage;

public sealed class EventFileCodecTests
{
    private static readonly byte[] KeyOne = Key(1);
    private static readonly byte[] KeyTwo = Key(2);

    private static byte[] Key(byte seed)
    {
        var key = new byte[EventFileKeys.KeyBytes];
        new Random(seed).NextBytes(key);
        return key;
    }

    private static EventFileCodec Codec(string? active, bool acceptPlain = true, params (string Id, byte[] Key)[] keys) =>
        new(new EventFileKeys(active, keys.ToDictionary(k => k.Id, k => k.Key, StringComparer.Ordinal), acceptPlain));

    private static string Line(EventFileCodec codec, string json)
    {
        var buffer = new ArrayBufferWriter<byte>();
        codec.Encode(Encoding.UTF8.GetBytes(json), buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static (EventLineStatus Status, string? Json) Open(EventFileCodec codec, string line)
    {
        using var reader = codec.CreateReader();
        var status = reader.Open(line, out var json);
        return (status, status is EventLineStatus.Plain or EventLineStatus.Decrypted ? Encoding.UTF8.GetString(json.Span) : null);
    }

    [Fact]
    public void A_sealed_line_round_trips_and_hides_the_json()
    {
        using var codec = Codec("k1", true, ("k1", KeyOne));
        const string json = "{\"eventId\":\"e1\",\"userId\":\"alice@example.com\",\"itemId\":\"i1\"}";

        var line = Line(codec, json);

        Assert.StartsWith("~1:k1:", line, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
        Assert.Equal((EventLineStatus.Decrypted, json), Open(codec, line));
    }

    [Fact]
    public void The_same_json_seals_to_different_lines()
    {
        using var codec = Codec("k1", true, ("k1", KeyOne));
        Assert.NotEqual(Line(codec, "{\"a\":1}"), Line(codec, "{\"a\":1}"));
    }

    [Fact]
    public void Many_lines_in_one_reader_pass_all_open()
    {
        using var codec = Codec("k1", true, ("k1", KeyOne));
        var lines = Enumerable.Range(0, 200).Select(i => (Json: $"{{\"n\":{i},\"pad\":\"{new string('x', i * 7)}\"}}", Line: string.Empty)).ToList();
        lines = lines.Select(l => (l.Json, Line(codec, l.Json))).ToList();

        using var reader = codec.CreateReader();
        foreach (var (json, line) in lines)
        {
            Assert.Equal(EventLineStatus.Decrypted, reader.Open(line, out var opened));
            Assert.Equal(json, Encoding.UTF8.GetString(opened.Span));
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(40)]
    [InlineData(-3)]
    public void A_changed_character_is_reported_as_tampered(int position)
    {
        using var codec = Codec("k1", true, ("k1", KeyOne));
        var line = Line(codec, "{\"eventId\":\"e1\",\"value\":19.99}");
        var at = position >= 0 ? position : line.Length + position - 1;
        var chars = line.ToCharArray();
        // Swap for another base64 character so the line still decodes and only authentication can catch it.
        chars[at] = chars[at] == 'A' ? 'B' : 'A';

        Assert.Equal(EventLineStatus.Tampered, Open(codec, new string(chars)).Status);
    }

    [Fact]
    public void A_relabelled_key_id_or_a_wrong_key_fails_authentication()
    {
        using var writer = Codec("k1", true, ("k1", KeyOne), ("k2", KeyTwo));
        var line = Line(writer, "{\"a\":1}");

        Assert.Equal(EventLineStatus.Tampered, Open(writer, line.Replace("~1:k1:", "~1:k2:", StringComparison.Ordinal)).Status);
        using var wrongKey = Codec(null, true, ("k1", KeyTwo));
        Assert.Equal(EventLineStatus.Tampered, Open(wrongKey, line).Status);
    }

    [Fact]
    public void Truncated_and_foreign_lines_are_malformed_or_unknown_never_thrown()
    {
        using var codec = Codec("k1", true, ("k1", KeyOne));
        var line = Line(codec, "{\"a\":1}");

        Assert.Equal(EventLineStatus.Malformed, Open(codec, line[..12]).Status);
        Assert.Equal(EventLineStatus.Tampered, Open(codec, line[..^4]).Status);
        Assert.Equal(EventLineStatus.Malformed, Open(codec, "~1:k1:not base64!").Status);
        Assert.Equal(EventLineStatus.Malformed, Open(codec, "garbage").Status);
        Assert.Equal(EventLineStatus.Malformed, Open(codec, "~1:").Status);
        Assert.Equal(EventLineStatus.UnknownKey, Open(codec, line.Replace("~1:k1:", "~1:k9:", StringComparison.Ordinal)).Status);
    }

    [Fact]
    public void After_rotation_old_lines_open_with_the_previous_key_and_new_lines_name_the_new_one()
    {
        using var before = Codec("k1", true, ("k1", KeyOne));
        var old = Line(before, "{\"old\":true}");
        using var after = Codec("k2", true, ("k1", KeyOne), ("k2", KeyTwo));
        var fresh = Line(after, "{\"old\":false}");

        Assert.StartsWith("~1:k2:", fresh, StringComparison.Ordinal);
        using var reader = after.CreateReader();
        Assert.Equal(EventLineStatus.Decrypted, reader.Open(old, out _));
        Assert.Equal(EventLineStatus.Decrypted, reader.Open(fresh, out var json));
        Assert.Equal("{\"old\":false}", Encoding.UTF8.GetString(json.Span));

        // Once the previous key is removed, what it sealed is reported, not misread.
        using var retired = Codec("k2", true, ("k2", KeyTwo));
        Assert.Equal(EventLineStatus.UnknownKey, Open(retired, old).Status);
    }

    [Fact]
    public void Plain_lines_stay_readable_unless_refused()
    {
        using var codec = Codec("k1", true, ("k1", KeyOne));
        Assert.Equal((EventLineStatus.Plain, "{\"a\":\"é\"}"), Open(codec, "{\"a\":\"é\"}"));

        using var strict = Codec("k1", false, ("k1", KeyOne));
        Assert.Equal(EventLineStatus.PlainRefused, Open(strict, "{\"a\":1}").Status);
        Assert.Equal(EventLineStatus.Decrypted, Open(strict, Line(strict, "{\"a\":1}")).Status);
    }

    [Fact]
    public void Without_an_active_key_lines_are_written_plain()
    {
        using var codec = Codec(null, true, ("k1", KeyOne));
        Assert.False(codec.Seals);
        Assert.Equal("{\"a\":1}", Line(codec, "{\"a\":1}"));
        Assert.Equal("{\"a\":1}\n", Encoding.UTF8.GetString(EventFileCodec.Plain.EncodeLine("{\"a\":1}"u8)));
    }

    [Fact]
    public void Bad_keys_are_refused_when_the_codec_is_built()
    {
        Assert.Throws<ArgumentException>(() => Codec("k1", true, ("k1", new byte[16])));
        Assert.Throws<ArgumentException>(() => Codec("k2", true, ("k1", KeyOne)));
        Assert.Throws<ArgumentException>(() => Codec(null, true, ("k:1", KeyOne)));
    }
}
