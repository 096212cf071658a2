using System.Globalization;
using System.Text;

namespace Cohortly.Modeling.Data;

/// <summary>Line-oriented parsing helpers shared by the readers; every failure names file and line.</summary>
internal static class TextLines
{
    public static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>Calls <paramref name="onLine"/> for each non-empty line with its 1-based number.</summary>
    public static void ForEach(string path, Encoding encoding, Action<string, long> onLine)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, 0, "file not found");
        }

        using var reader = new StreamReader(path, encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        long number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0 || (line.Length == 1 && line[0] == '\r'))
            {
                continue;
            }

            onLine(line.TrimEnd('\r'), number);
        }
    }

    /// <summary>Splits on a separator into exactly <c>fields.Length</c> fields or fewer; returns the count found.</summary>
    public static int Split(ReadOnlySpan<char> line, ReadOnlySpan<char> separator, Span<Range> fields)
        => line.Split(fields, separator);

    public static void Expect(int found, int min, int max, string path, long line, string separatorName)
    {
        if (found < min || found > max)
        {
            var expected = min == max ? $"{min}" : $"{min} to {max}";
            throw new DataFormatException(path, line, $"expected {expected} {separatorName}-separated fields, found {(found > max ? "more" : found.ToString(CultureInfo.InvariantCulture))}");
        }
    }

    public static float ParseFloat(ReadOnlySpan<char> s, string path, long line, string field)
    {
        if (float.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v))
        {
            return v;
        }

        throw new DataFormatException(path, line, $"{field} '{s.ToString()}' is not a number");
    }

    public static long ParseTimestamp(ReadOnlySpan<char> s, string path, long line)
    {
        s = s.Trim();
        if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            return v;
        }

        // Some exporters (RecBole atomic files among them) write unix seconds as a float.
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && Math.Abs(d) < 1e15)
        {
            return (long)d;
        }

        throw new DataFormatException(path, line, $"timestamp '{s.ToString()}' is not unix seconds");
    }

    public static int ParseInt(ReadOnlySpan<char> s, string path, long line, string field)
    {
        if (int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            return v;
        }

        throw new DataFormatException(path, line, $"{field} '{s.ToString()}' is not an integer");
    }

    public static ReadOnlySpan<char> RequireId(ReadOnlySpan<char> s, string path, long line, string field)
    {
        s = s.Trim();
        if (s.IsEmpty)
        {
            throw new DataFormatException(path, line, $"{field} is empty");
        }

        return s;
    }

    public static bool IsNumber(ReadOnlySpan<char> s)
        => double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>
    /// Splits one CSV record (RFC 4180 quoting: fields may be quoted, "" inside quotes is a quote) into
    /// <paramref name="fields"/>. Returns false on an unterminated quote.
    /// </summary>
    public static bool SplitCsv(string line, List<string> fields, StringBuilder scratch)
    {
        fields.Clear();
        var i = 0;
        while (true)
        {
            scratch.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        return false;
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            scratch.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    scratch.Append(line[i++]);
                }

                // Anything between the closing quote and the comma is kept, as lenient readers do.
                while (i < line.Length && line[i] != ',')
                {
                    scratch.Append(line[i++]);
                }
            }
            else
            {
                var end = line.IndexOf(',', i);
                if (end < 0)
                {
                    end = line.Length;
                }

                scratch.Append(line, i, end - i);
                i = end;
            }

            fields.Add(scratch.ToString());
            if (i >= line.Length)
            {
                return true;
            }

            i++; // the comma
            if (i == line.Length)
            {
                fields.Add(string.Empty);
                return true;
            }
        }
    }
}
