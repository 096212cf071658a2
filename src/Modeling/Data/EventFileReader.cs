using System.Text;

namespace Cohortly.Modeling.Data;

/// <summary>
/// Reads a generic event file: one interaction per line as <c>user, item, value, unix seconds[, event type]</c>,
/// tab-separated (or comma-separated for <c>.csv</c>). A first line whose value or timestamp is not numeric is a header.
/// </summary>
public static class EventFileReader
{
    public static InteractionDataset Read(string path, char? separator = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var builder = new InteractionDatasetBuilder();
        ReadInto(builder, path, separator ?? SeparatorFor(path));
        return builder.Build();
    }

    public static char SeparatorFor(string path)
        => Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase) ? ',' : '\t';

    /// <summary>Appends the file's interactions to <paramref name="builder"/>; returns how many were read.</summary>
    public static int ReadInto(InteractionDatasetBuilder builder, string path, char separator)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var before = builder.Count;
        var sep = separator.ToString();
        var name = separator == '\t' ? "tab" : $"'{separator}'";
        var fields = new List<string>(5);
        var scratch = new StringBuilder();
        TextLines.ForEach(path, Encoding.UTF8, (line, n) =>
        {
            if (separator == ',')
            {
                // CSV: ids may be quoted (and contain commas).
                if (!TextLines.SplitCsv(line, fields, scratch))
                {
                    throw new DataFormatException(path, n, "unterminated quoted field");
                }

                if (n == 1 && fields.Count >= 4 && (!TextLines.IsNumber(fields[2]) || !TextLines.IsNumber(fields[3])))
                {
                    return; // header
                }

                TextLines.Expect(fields.Count, 4, 5, path, n, name);
                builder.Add(
                    TextLines.RequireId(fields[0], path, n, "user id"),
                    TextLines.RequireId(fields[1], path, n, "item id"),
                    TextLines.ParseFloat(fields[2], path, n, "value"),
                    TextLines.ParseTimestamp(fields[3], path, n),
                    fields.Count == 5 ? fields[4].AsSpan().Trim() : default);
                return;
            }

            Span<Range> f = stackalloc Range[6];
            var count = TextLines.Split(line, sep, f);
            var s = line.AsSpan();
            if (n == 1 && count >= 4 && (!TextLines.IsNumber(s[f[2]]) || !TextLines.IsNumber(s[f[3]])))
            {
                return; // header
            }

            TextLines.Expect(count, 4, 5, path, n, name);
            builder.Add(
                TextLines.RequireId(s[f[0]], path, n, "user id"),
                TextLines.RequireId(s[f[1]], path, n, "item id"),
                TextLines.ParseFloat(s[f[2]], path, n, "value"),
                TextLines.ParseTimestamp(s[f[3]], path, n),
                count == 5 ? s[f[4]].Trim() : default);
        });
        return builder.Count - before;
    }
}
