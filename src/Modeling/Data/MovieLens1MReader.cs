namespace Cohortly.Modeling.Data;

/// <summary>
/// Reads the MovieLens 1M layout (<c>::</c>-separated, Latin-1): <c>ratings.dat</c> and, when present,
/// <c>movies.dat</c> (title, pipe-separated genres) and <c>users.dat</c> (gender, age, occupation, zip).
/// </summary>
public static class MovieLens1MReader
{
    public static InteractionDataset Read(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var builder = new InteractionDatasetBuilder();
        ReadUsers(Path.Combine(directory, "users.dat"), builder);
        ReadMovies(Path.Combine(directory, "movies.dat"), builder);
        ReadRatings(Path.Combine(directory, "ratings.dat"), builder);
        return builder.Build();
    }

    private static void ReadUsers(string path, InteractionDatasetBuilder builder)
    {
        if (!File.Exists(path))
        {
            return;
        }

        TextLines.ForEach(path, TextLines.Latin1, (line, n) =>
        {
            Span<Range> f = stackalloc Range[6];
            var count = TextLines.Split(line, "::", f);
            TextLines.Expect(count, 5, 5, path, n, "'::'");
            var s = line.AsSpan();
            builder.AddUser(TextLines.RequireId(s[f[0]], path, n, "user id"), new Dictionary<string, string>
            {
                ["gender"] = line[f[1]],
                ["age"] = line[f[2]],
                ["occupation"] = line[f[3]],
                ["zip"] = line[f[4]],
            });
        });
    }

    private static void ReadMovies(string path, InteractionDatasetBuilder builder)
    {
        if (!File.Exists(path))
        {
            return;
        }

        TextLines.ForEach(path, TextLines.Latin1, (line, n) =>
        {
            Span<Range> f = stackalloc Range[4];
            var count = TextLines.Split(line, "::", f);
            TextLines.Expect(count, 3, 3, path, n, "'::'");
            var s = line.AsSpan();
            var genres = line[f[2]].Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            builder.AddItem(TextLines.RequireId(s[f[0]], path, n, "movie id"), new ItemMetadata(line[f[1]], genres, []));
        });
    }

    private static void ReadRatings(string path, InteractionDatasetBuilder builder)
    {
        TextLines.ForEach(path, TextLines.Latin1, (line, n) =>
        {
            Span<Range> f = stackalloc Range[5];
            var count = TextLines.Split(line, "::", f);
            TextLines.Expect(count, 4, 4, path, n, "'::'");
            var s = line.AsSpan();
            builder.Add(
                TextLines.RequireId(s[f[0]], path, n, "user id"),
                TextLines.RequireId(s[f[1]], path, n, "movie id"),
                TextLines.ParseFloat(s[f[2]], path, n, "rating"),
                TextLines.ParseTimestamp(s[f[3]], path, n));
        });
    }
}
