using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// A Redis stream entry id, <c>&lt;milliseconds&gt;-&lt;sequence&gt;</c>. Redis assigns ids that grow
/// strictly within one stream key, and every Orleans stream lives in exactly one partition key,
/// so ids also grow strictly per Orleans stream.
/// </summary>
/// <remarks>
/// Plain data on purpose: consumers persist it (System.Text.Json or Orleans) to remember the last
/// applied event. <c>default</c> (<c>0-0</c>) sorts before every id Redis can assign.
/// </remarks>
[GenerateSerializer]
[Immutable]
[Alias("cohortly.streaming.redis.entry-id")]
public readonly record struct RedisEntryId(
    [property: Id(0)] ulong Milliseconds,
    [property: Id(1)] ulong Sequence) : IComparable<RedisEntryId>, ISpanFormattable
{
    /// <summary>The smallest id; below every entry Redis can store.</summary>
    public static RedisEntryId Zero => default;

    /// <summary>Server time (UTC) at which Redis accepted the entry.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(
        Milliseconds > (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            : (long)Milliseconds);

    /// <summary>The smallest id Redis can assign at or after <paramref name="time"/>.</summary>
    public static RedisEntryId AtOrAfter(DateTimeOffset time) =>
        new((ulong)Math.Max(0, time.ToUnixTimeMilliseconds()), 0);

    public int CompareTo(RedisEntryId other)
    {
        var byTime = Milliseconds.CompareTo(other.Milliseconds);
        return byTime != 0 ? byTime : Sequence.CompareTo(other.Sequence);
    }

    public static bool operator <(RedisEntryId left, RedisEntryId right) => left.CompareTo(right) < 0;

    public static bool operator >(RedisEntryId left, RedisEntryId right) => left.CompareTo(right) > 0;

    public static bool operator <=(RedisEntryId left, RedisEntryId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(RedisEntryId left, RedisEntryId right) => left.CompareTo(right) >= 0;

    /// <summary>Parses the Redis text form <c>ms-seq</c>.</summary>
    public static RedisEntryId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var id)
            ? id
            : throw new FormatException($"'{text}' is not a Redis stream entry id (expected '<milliseconds>-<sequence>').");
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out RedisEntryId id) =>
        TryParse(text.AsSpan(), out id);

    public static bool TryParse(ReadOnlySpan<char> text, out RedisEntryId id)
    {
        id = default;
        var dash = text.IndexOf('-');
        if (dash <= 0 || dash == text.Length - 1)
        {
            return false;
        }

        if (!ulong.TryParse(text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || !ulong.TryParse(text[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            return false;
        }

        id = new RedisEntryId(ms, seq);
        return true;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}", out charsWritten);
}
