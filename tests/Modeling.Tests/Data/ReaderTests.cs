using System.Text;
using Cohortly.Modeling.Data;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Data;

public sealed class ReaderTests
{
    private static readonly string Flags19None = string.Join('|', Enumerable.Repeat("0", 19));

    private static string Flags(params int[] on)
    {
        var f = Enumerable.Repeat("0", 19).ToArray();
        foreach (var i in on)
        {
            f[i] = "1";
        }

        return string.Join('|', f);
    }

    [Fact]
    public void MovieLens100K_reader_reads_ratings_genres_and_user_attributes()
    {
        using var dir = new TempDirectory();
        dir.Write("u.data", "1\t10\t5\t881250949\n2\t10\t3\t881250950\n1\t20\t1\t881250951\n");
        dir.Write("u.item", $"10|Toy Story (1995)|01-Jan-1995||http://x|{Flags(3, 4, 5)}\n20|Caf\u00e9 Society (1995)|01-Jan-1995||http://y|{Flags(8)}\n", Encoding.Latin1);
        dir.Write("u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n");

        var data = MovieLens100KReader.Read(dir.Path);

        Assert.Equal(3, data.Count);
        Assert.Equal(2, data.UserCount);
        Assert.Equal(2, data.ItemCount);
        var toy = data.Catalog.Items.IndexOf("10");
        var cafe = data.Catalog.Items.IndexOf("20");
        Assert.Equal(["Animation", "Children's", "Comedy"], data.Catalog.ItemMetadata(toy)!.Categories);
        Assert.Equal("Caf\u00e9 Society (1995)", data.Catalog.ItemMetadata(cafe)!.Title);
        Assert.Equal("F", data.Catalog.UserAttributes(data.Catalog.Users.IndexOf("2"))!["gender"]);
        Assert.Equal(1f, data.Values[2]);
        Assert.Equal(881250951L, data.Timestamps[2]);
        Assert.Equal(cafe, data.Items[2]);
    }

    [Fact]
    public void MovieLens100K_bad_rating_names_file_line_and_reason()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("u.data", "1\t10\t5\t881250949\n2\t10\tfive\t881250950\n");

        var e = Assert.Throws<DataFormatException>(() => MovieLens100KReader.Read(dir.Path));

        Assert.Equal(path, e.File);
        Assert.Equal(2, e.Line);
        Assert.Contains("rating", e.Reason, StringComparison.Ordinal);
        Assert.Contains("five", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MovieLens100K_item_line_with_missing_genre_flags_is_rejected()
    {
        using var dir = new TempDirectory();
        dir.Write("u.data", "1\t10\t5\t881250949\n");
        dir.Write("u.item", $"10|Toy Story (1995)|01-Jan-1995||http://x|{Flags19None}\n11|Short|01-Jan-1995||http://x|0|1\n");

        var e = Assert.Throws<DataFormatException>(() => MovieLens100KReader.Read(dir.Path));

        Assert.Equal(2, e.Line);
        Assert.Contains("fields", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MovieLens1M_reader_parses_double_colon_latin1_files()
    {
        using var dir = new TempDirectory();
        dir.Write("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n");
        dir.Write("movies.dat", "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n7::Am\u00e9lie (2001)::Comedy|Romance\n", Encoding.Latin1);
        dir.Write("users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n");

        var data = MovieLens1MReader.Read(dir.Path);

        Assert.Equal(3, data.Count);
        Assert.Equal(3, data.ItemCount); // the unrated movie stays in the catalog for content-based scoring
        var peach = data.Catalog.Items.IndexOf("661");
        Assert.Equal(["Animation", "Children's", "Musical"], data.Catalog.ItemMetadata(peach)!.Categories);
        Assert.Equal("Am\u00e9lie (2001)", data.Catalog.ItemMetadata(data.Catalog.Items.IndexOf("7"))!.Title);
        Assert.Equal("56", data.Catalog.UserAttributes(data.Catalog.Users.IndexOf("2"))!["age"]);
    }

    [Fact]
    public void MovieLens1M_rating_line_with_three_fields_is_rejected_with_its_line()
    {
        using var dir = new TempDirectory();
        dir.Write("ratings.dat", "1::1193::5::978300760\n\n1::661::3\n");

        var e = Assert.Throws<DataFormatException>(() => MovieLens1MReader.Read(dir.Path));

        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void MovieLensCsv_reader_handles_quoted_titles_and_collects_tags()
    {
        using var dir = new TempDirectory();
        dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,2.5,964982224\n");
        dir.Write("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,\"Grumpier Old Men, The (1995)\",Comedy|Romance\n4,\"Say \"\"Hi\"\" (2000)\",(no genres listed)\n");
        dir.Write("tags.csv", "userId,movieId,tag,timestamp\n2,1,pixar,1445714994\n3,1,Pixar,1445714995\n2,3,\"funny, old\",1445714996\n");

        var data = MovieLensCsvReader.Read(dir.Path);

        Assert.Equal(3, data.Count);
        Assert.Equal(4.5f, data.Values[1]);
        var grumpier = data.Catalog.ItemMetadata(data.Catalog.Items.IndexOf("3"))!;
        Assert.Equal("Grumpier Old Men, The (1995)", grumpier.Title);
        Assert.Equal(["funny, old"], grumpier.Tags);
        Assert.Equal(["pixar"], data.Catalog.ItemMetadata(data.Catalog.Items.IndexOf("1"))!.Tags);
        var say = data.Catalog.ItemMetadata(data.Catalog.Items.IndexOf("4"))!;
        Assert.Equal("Say \"Hi\" (2000)", say.Title);
        Assert.Empty(say.Categories);
    }

    [Fact]
    public void MovieLensCsv_unterminated_quote_is_reported()
    {
        using var dir = new TempDirectory();
        dir.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n");
        dir.Write("movies.csv", "movieId,title,genres\n1,\"Toy Story (1995),Adventure\n");

        var e = Assert.Throws<DataFormatException>(() => MovieLensCsvReader.Read(dir.Path));

        Assert.Equal(2, e.Line);
        Assert.Contains("quote", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_file_skips_header_and_keeps_event_types()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("events.csv", "user,item,value,ts,type\nalice,sku-1,1,1700000000,view\nalice,sku-2,1,1700000100,purchase\nbob,sku-1,2.5,1700000200,view\n");

        var data = EventFileReader.Read(path);

        Assert.Equal(3, data.Count);
        Assert.True(data.HasEventTypes);
        var names = data.Catalog.EventTypeNames;
        Assert.Equal("purchase", names[data.EventTypes[1]]);
        Assert.Equal("view", names[data.EventTypes[2]]);
        Assert.Equal(2.5f, data.Values[2]);
        Assert.Equal("bob", data.Catalog.Users[data.Users[2]]);
    }

    [Fact]
    public void Csv_event_file_accepts_quoted_ids_containing_commas()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("events.csv", "u1,\"sku, large\",1,1700000000\n\"u,2\",sku-2,1,1700000001\n");

        var data = EventFileReader.Read(path);

        Assert.Equal("sku, large", data.Catalog.Items[data.Items[0]]);
        Assert.Equal("u,2", data.Catalog.Users[data.Users[1]]);
        Assert.False(data.HasEventTypes);
    }

    [Fact]
    public void Event_file_with_bad_timestamp_names_the_line()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("events.tsv", "u1\ti1\t1\t1700000000\nu2\ti1\t1\tyesterday\n");

        var e = Assert.Throws<DataFormatException>(() => EventFileReader.Read(path));

        Assert.Equal(2, e.Line);
        Assert.Contains("timestamp", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_a_data_format_error_naming_the_file()
    {
        using var dir = new TempDirectory();

        var e = Assert.Throws<DataFormatException>(() => MovieLens100KReader.Read(dir.Path));

        Assert.EndsWith("u.data", e.File, StringComparison.Ordinal);
        Assert.Contains("not found", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_directory_parts_share_one_id_space()
    {
        using var dir = new TempDirectory();
        dir.Write("train.tsv", "user_id:token\titem_id:token\trating:float\ttimestamp:float\nu1\ta\t5\t100\nu2\tb\t4\t101\n");
        dir.Write("valid.tsv", "u1\tb\t3\t102\n");
        dir.Write("test.tsv", "u2\ta\t5\t103.0\nu3\tc\t1\t104\n");

        var split = SplitDirectoryReader.Read(dir.Path);

        Assert.Equal(2, split.Train.Count);
        Assert.Equal(1, split.Validation.Count);
        Assert.Equal(2, split.Test.Count);
        Assert.Same(split.Train.Catalog, split.Test.Catalog);
        Assert.Equal(split.Train.Items[0], split.Test.Items[0]); // "a" in train and test is the same index
        Assert.Equal(3, split.Catalog.UserCount);
        Assert.Equal(103L, split.Test.Timestamps[0]);
    }
}
