namespace Cohortly.Modeling.Data;

/// <summary>
/// Reads the MovieLens 100K layout: <c>u.data</c> (user, item, rating, unix seconds; tab-separated) and, when present,
/// <c>u.item</c> (pipe-separated, Latin-1, 19 genre flags), <c>u.genre</c> and <c>u.user</c>.
/// </summary>
public static class MovieLens100KReader
{
    private static readonly string[] DefaultGenres =
    [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    public static InteractionDataset Read(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var builder = new InteractionDatasetBuilder();
        var genres = ReadGenres(Path.Combine(directory, "u.genre"));
        ReadUsers(Path.Combine(directory, "u.user"), builder);
        ReadItems(Path.Combine(directory, "u.item"), genres, builder);
        ReadRatings(Path.Combine(directory, "u.data"), builder);
        return builder.Build();
    }

    private static string[] ReadGenres(string path)
    {
        if (!File.Exists(path))
        {
            return DefaultGenres;
        }

        var names = new SortedDictionary<int, string>();
        TextLines.ForEach(path, TextLines.Latin1, (line, n) =>
        {
            Span<Range> f = stackalloc Range[3];
            var count = TextLines.Split(line, "|", f);
            TextLines.Expect(count, 2, 2, path, n, "pipe");
            var index = TextLines.ParseInt(line.AsSpan()[f[1]], path, n, "genre index");
            names[index] = line[f[0]];
        });
        var result = new string[names.Count];
        var k = 0;
        foreach (var (index, name) in names)
        {
            if (index != k)
            {
                throw new DataFormatException(path, 0, $"genre indices must be 0..{names.Count - 1} without gaps");
            }

            result[k++] = name;
        }

        return result;
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
            var count = TextLines.Split(line, "|", f);
            TextLines.Expect(count, 5, 5, path, n, "pipe");
            var s = line.AsSpan();
            var id = TextLines.RequireId(s[f[0]], path, n, "user id");
            _ = TextLines.ParseInt(s[f[1]], path, n, "age");
            builder.AddUser(id, new Dictionary<string, string>
            {
                ["age"] = line[f[1]],
                ["gender"] = line[f[2]],
                ["occupation"] = line[f[3]],
                ["zip"] = line[f[4]],
            });
        });
    }

    private static void ReadItems(string path, string[] genres, InteractionDatasetBuilder builder)
    {
        if (!File.Exists(path))
        {
            return;
        }

        var fieldCount = 5 + genres.Length;
        TextLines.ForEach(path, TextLines.Latin1, (line, n) =>
        {
            Span<Range> f = stackalloc Range[fieldCount + 1];
            var count = TextLines.Split(line, "|", f);
            TextLines.Expect(count, fieldCount, fieldCount, path, n, "pipe");
            var s = line.AsSpan();
            var id = TextLines.RequireId(s[f[0]], path, n, "item id");
            var categories = new List<string>();
            for (var g = 0; g < genres.Length; g++)
            {
                var flag = s[f[5 + g]].Trim();
                if (flag is "1")
                {
                    categories.Add(genres[g]);
                }
                else if (flag is not "0")
                {
                    throw new DataFormatException(path, n, $"genre flag {g} is '{flag.ToString()}', expected 0 or 1");
                }
            }

            builder.AddItem(id, new ItemMetadata(line[f[1]], categories, []));
        });
    }

    private static void ReadRatings(string path, InteractionDatasetBuilder builder)
    {
        TextLines.ForEach(path, TextLines.Latin1, (line, n) =>
        {
            Span<Range> f = stackalloc Range[5];
            var count = TextLines.Split(line, "\t", f);
            TextLines.Expect(count, 4, 4, path, n, "tab");
            var s = line.AsSpan();
            builder.Add(
                TextLines.RequireId(s[f[0]], path, n, "user id"),
                TextLines.RequireId(s[f[1]], path, n, "item id"),
                TextLines.ParseFloat(s[f[2]], path, n, "rating"),
                TextLines.ParseTimestamp(s[f[3]], path, n));
        });
    }
}
