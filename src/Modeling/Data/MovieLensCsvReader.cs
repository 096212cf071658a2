using System.Text;

namespace Cohortly.Modeling.Data;

/// <summary>
/// Reads the MovieLens "latest" CSV layout (UTF-8, header row, RFC 4180 quoting): <c>ratings.csv</c> and, when present,
/// <c>movies.csv</c> (title, pipe-separated genres) and <c>tags.csv</c> (free-text tags, collected per movie).
/// </summary>
public static class MovieLensCsvReader
{
    private const string NoGenres = "(no genres listed)";

    public static InteractionDataset Read(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var builder = new InteractionDatasetBuilder();
        ReadMovies(Path.Combine(directory, "movies.csv"), builder);
        ReadTags(Path.Combine(directory, "tags.csv"), builder);
        ReadRatings(Path.Combine(directory, "ratings.csv"), builder);
        return builder.Build();
    }

    private static void ReadMovies(string path, InteractionDatasetBuilder builder)
    {
        if (!File.Exists(path))
        {
            return;
        }

        var fields = new List<string>(4);
        var scratch = new StringBuilder();
        TextLines.ForEach(path, Encoding.UTF8, (line, n) =>
        {
            SplitRecord(line, n, path, fields, scratch, 3);
            if (n == 1 && IsHeader(fields[0], "movieId"))
            {
                return;
            }

            var genres = fields[2] == NoGenres
                ? []
                : fields[2].Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            builder.AddItem(TextLines.RequireId(fields[0], path, n, "movie id"), new ItemMetadata(fields[1], genres, []));
        });
    }

    private static void ReadTags(string path, InteractionDatasetBuilder builder)
    {
        if (!File.Exists(path))
        {
            return;
        }

        var tagsByItem = new Dictionary<int, List<string>>();
        var fields = new List<string>(4);
        var scratch = new StringBuilder();
        TextLines.ForEach(path, Encoding.UTF8, (line, n) =>
        {
            SplitRecord(line, n, path, fields, scratch, 4);
            if (n == 1 && IsHeader(fields[0], "userId"))
            {
                return;
            }

            var item = builder.AddItem(TextLines.RequireId(fields[1], path, n, "movie id"));
            var tag = fields[2].Trim();
            if (tag.Length == 0)
            {
                return;
            }

            if (!tagsByItem.TryGetValue(item, out var list))
            {
                tagsByItem[item] = list = [];
            }

            if (!list.Contains(tag, StringComparer.OrdinalIgnoreCase))
            {
                list.Add(tag);
            }
        });
        foreach (var (item, tags) in tagsByItem)
        {
            var meta = builder.TryGetItemMetadata(item, out var m) ? m : ItemMetadata.Empty;
            builder.SetItemMetadata(item, meta.WithTags(tags));
        }
    }

    private static void ReadRatings(string path, InteractionDatasetBuilder builder)
    {
        TextLines.ForEach(path, Encoding.UTF8, (line, n) =>
        {
            Span<Range> f = stackalloc Range[5];
            var count = TextLines.Split(line, ",", f);
            TextLines.Expect(count, 4, 4, path, n, "comma");
            var s = line.AsSpan();
            if (n == 1 && IsHeader(s[f[0]], "userId"))
            {
                return;
            }

            builder.Add(
                TextLines.RequireId(s[f[0]], path, n, "user id"),
                TextLines.RequireId(s[f[1]], path, n, "movie id"),
                TextLines.ParseFloat(s[f[2]], path, n, "rating"),
                TextLines.ParseTimestamp(s[f[3]], path, n));
        });
    }

    private static void SplitRecord(string line, long n, string path, List<string> fields, StringBuilder scratch, int expected)
    {
        if (!TextLines.SplitCsv(line, fields, scratch))
        {
            throw new DataFormatException(path, n, "unterminated quoted field");
        }

        TextLines.Expect(fields.Count, expected, expected, path, n, "comma");
    }

    private static bool IsHeader(ReadOnlySpan<char> first, string name) => first.Trim().Equals(name, StringComparison.OrdinalIgnoreCase);
}
