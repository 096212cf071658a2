using System.Buffers;
using System.Collections;
using System.Text;
using Cohortly.Contracts;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Finds user ids in text and values written by any library (Orleans, ASP.NET Core, Cohortly) and replaces them by
/// their keyed pseudonyms (<see cref="UserPseudonyms"/>), in the three forms a user id takes outside Cohortly's own
/// code: a user grain's id (<c>user/{id}</c>, also inside activation and grain addresses and storage keys such as
/// <c>user/user/{id}</c>), an interactions stream id (<c>interactions/{id}</c>, also qualified by the provider) and a
/// request path (<c>/v1/users/{id}</c>, percent-encoded or not). Used by the log redaction (<see cref="UserIdLogRedaction"/>) and
/// the trace redaction (<see cref="UserIdRedaction"/>), so both give the pseudonym <c>UserPseudonym</c> gives.
/// </summary>
/// <remarks>
/// Ids may hold any punctuation but <c>/ ? # % \</c> and no whitespace (EventValidator.CheckId), so in free text an id
/// runs to the first of those. Orleans writes an activation right after its grain id (<c>user/alice@5f1c…</c>) and
/// separators after it (<c>user/alice, ActivationId</c>, <c>user/alice]</c>): a trailing <c>@</c> and 32 hex digits and
/// trailing <c>, ; : . ) ] } &gt; " '</c> are not taken as part of the id, nor Orleans' message route
/// (<c>]-&gt;[</c>). An id that itself ends in such a character is pseudonymised without it (its last character stays
/// in clear; the id never does). A typed <see cref="GrainId"/> or <see cref="StreamId"/> value is exact, and so is the
/// text of an id that such a value of the same log entry names (<see cref="CollectKnown"/>).
/// </remarks>
public sealed class UserIdScrubber(UserPseudonyms pseudonyms)
{
    private const string GrainPrefix = "user/";
    private const string StreamPrefix = StreamNames.Interactions + "/";
    private const string PathPrefix = "/v1/users/";
    private const string Pseudonym = "user~";
    private static readonly GrainType UserGrainType = GrainType.Create("user");
    private static readonly SearchValues<char> IdEnd = SearchValues.Create("/?#%\\ \t\r\n\f\v");
    private static readonly SearchValues<char> PathEnd = SearchValues.Create("/?#\\ \t\r\n\f\v\"'<>`");
    private static readonly SearchValues<char> Trailing = SearchValues.Create(",;:.)]}>\"'");
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    public UserPseudonyms Pseudonyms { get; } = pseudonyms;

    /// <summary>The text with every user id replaced, or null when it holds none (the common case: three vectorized searches).</summary>
    public string? Scrub(string text) => Scrub(text, null);

    /// <summary>
    /// As <see cref="Scrub(string)"/>, taking <paramref name="known"/> (exact ids from typed values of the same log
    /// entry) as the whole id where one follows a prefix, so text Orleans writes right after an id is not hashed with it.
    /// </summary>
    public string? Scrub(string text, IReadOnlyList<string>? known)
    {
        ArgumentNullException.ThrowIfNull(text);
        var grain = text.IndexOf(GrainPrefix, StringComparison.Ordinal);
        var stream = text.IndexOf(StreamPrefix, StringComparison.Ordinal);
        var path = text.IndexOf(PathPrefix, StringComparison.Ordinal);
        if (grain < 0 && stream < 0 && path < 0)
        {
            return null;
        }

        StringBuilder? result = null;
        var copied = 0;
        var at = 0;
        while (at < text.Length)
        {
            // The earliest of the three forms from here; each found position is reused until passed.
            if (grain >= 0 && grain < at)
            {
                grain = text.IndexOf(GrainPrefix, at, StringComparison.Ordinal);
            }

            if (stream >= 0 && stream < at)
            {
                stream = text.IndexOf(StreamPrefix, at, StringComparison.Ordinal);
            }

            if (path >= 0 && path < at)
            {
                path = text.IndexOf(PathPrefix, at, StringComparison.Ordinal);
            }

            var next = Earliest(grain, stream, path);
            if (next < 0)
            {
                break;
            }

            var isPath = next == path;
            var prefix = isPath ? PathPrefix.Length : next == grain ? GrainPrefix.Length : StreamPrefix.Length;
            var start = next + prefix;
            at = start;
            if (!isPath && next > 0 && IsWordChar(text[next - 1]))
            {
                continue; // "poweruser/…" or "myinteractions/…": not the form
            }

            var end = isPath ? TokenEnd(text, start, PathEnd) : KnownEnd(text, start, known) ?? IdTokenEnd(text, start);
            if (end <= start || text[start] == '{' || text.AsSpan(start).StartsWith(Pseudonym, StringComparison.Ordinal))
            {
                continue; // empty, a route template, or already a pseudonym
            }

            if (!isPath && end < text.Length && text[end] == '/' && text.AsSpan(start, end - start).SequenceEqual("user"))
            {
                continue; // "user/user/{id}": a storage key (grain type, then the grain id); the id follows
            }

            var id = text[start..end];
            if (isPath)
            {
                try
                {
                    id = Uri.UnescapeDataString(id);
                }
                catch (UriFormatException)
                {
                    // Left as written: still hashed, never shown.
                }
            }

            result ??= new StringBuilder(text.Length + 16);
            result.Append(text, copied, start - copied).Append(Pseudonyms.Of(id));
            copied = end;
            at = end;
        }

        return result?.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>
    /// A structured log value with its user ids replaced: the value itself when it holds none (its type kept for
    /// structured sinks), else its text with pseudonyms. Collections are written as the log formatter writes them
    /// (items joined by ", ").
    /// </summary>
    public object? Scrub(object? value) => Scrub(value, null);

    /// <summary>As <see cref="Scrub(object?)"/>, with exact ids from the same entry (<see cref="Scrub(string, IReadOnlyList{string}?)"/>).</summary>
    public object? Scrub(object? value, IReadOnlyList<string>? known)
    {
        switch (value)
        {
            case null:
                return null;
            case string text:
                return Scrub(text, known) ?? (object)text;
            case GrainId grain:
                return grain.Type == UserGrainType ? GrainPrefix + Pseudonyms.Of(grain.Key.ToString()) : value;
            case StreamId stream:
                return stream.GetNamespace() == StreamNames.Interactions ? Pseudonyms.Of(stream) : value;
            case IConvertible or TimeSpan or Guid or DateTimeOffset:
                return value; // numbers, enums, dates, booleans: no id
            case IEnumerable items and not IDictionary:
                return ScrubItems(items, known) ?? value;
            default:
                return value.ToString() is { } written && Scrub(written, known) is { } scrubbed ? scrubbed : value;
        }
    }

    /// <summary>
    /// The user ids a log value holds exactly: a user grain's id (also of a grain reference) or an interactions stream's
    /// key, added to <paramref name="known"/> (created on the first).
    /// </summary>
    public static void CollectKnown(object? value, ref List<string>? known)
    {
        var id = value switch
        {
            GrainId grain when grain.Type == UserGrainType => grain.Key.ToString(),
            GrainReference reference when reference.GrainId.Type == UserGrainType => reference.GrainId.Key.ToString(),
            StreamId stream when stream.GetNamespace() == StreamNames.Interactions => stream.GetKeyAsString(),
            _ => null,
        };
        if (!string.IsNullOrEmpty(id))
        {
            (known ??= []).Add(id);
        }
    }

    private string? ScrubItems(IEnumerable items, IReadOnlyList<string>? known)
    {
        var text = new StringBuilder();
        var changed = false;
        foreach (var item in items)
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            var scrubbed = Scrub(item, known);
            changed |= !ReferenceEquals(scrubbed, item);
            text.Append(scrubbed is null ? "(null)" : Convert.ToString(scrubbed, System.Globalization.CultureInfo.InvariantCulture));
        }

        return changed ? text.ToString() : null;
    }

    private static int Earliest(int a, int b, int c)
    {
        var min = -1;
        foreach (var x in (ReadOnlySpan<int>)[a, b, c])
        {
            if (x >= 0 && (min < 0 || x < min))
            {
                min = x;
            }
        }

        return min;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-' or '.';

    private static int TokenEnd(string text, int start, SearchValues<char> ends)
    {
        var length = text.AsSpan(start).IndexOfAny(ends);
        return length < 0 ? text.Length : start + length;
    }

    /// <summary>The end of a grain or stream id in free text: before an activation suffix and trailing separators.</summary>
    /// <summary>The end of the longest known id that follows <paramref name="start"/>, if any.</summary>
    private static int? KnownEnd(string text, int start, IReadOnlyList<string>? known)
    {
        int? end = null;
        for (var i = 0; known is not null && i < known.Count; i++)
        {
            if (text.AsSpan(start).StartsWith(known[i], StringComparison.Ordinal) && (end is null || start + known[i].Length > end))
            {
                end = start + known[i].Length;
            }
        }

        return end;
    }

    private static int NextArrow(ReadOnlySpan<char> token, int arrow)
    {
        var next = token[(arrow + 1)..].IndexOf("->", StringComparison.Ordinal);
        return next < 0 ? -1 : arrow + 1 + next;
    }

    private static int IdTokenEnd(string text, int start)
    {
        var end = TokenEnd(text, start, IdEnd);
        var token = text.AsSpan(start, end - start);
        // Orleans writes a message's route as "[{silo} {sender}]->[{silo} {target}]": the arrow ends the sender's id.
        for (var arrow = token.IndexOf("->", StringComparison.Ordinal); arrow >= 0; arrow = NextArrow(token, arrow))
        {
            if (arrow + 2 == token.Length || token[arrow + 2] is 'S' or '[')
            {
                end = start + arrow;
                token = token[..arrow];
                break;
            }
        }

        var at = token.LastIndexOf('@');
        if (at >= 0 && token.Length - at - 1 >= 32 && !token.Slice(at + 1, 32).ContainsAnyExcept(HexDigits) && (token.Length - at - 1 == 32 || Trailing.Contains(token[at + 33])))
        {
            end = start + at;
        }

        while (end > start && Trailing.Contains(text[end - 1]))
        {
            end--;
        }

        return end;
    }
}
