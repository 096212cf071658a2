namespace Cohortly.Modeling.Data;

/// <summary>
/// Reads a pre-split directory holding <c>train.tsv</c>, <c>valid.tsv</c> and <c>test.tsv</c> (user, item, value, unix
/// seconds; optional header) into one id space, so indices agree across the three parts.
/// </summary>
public static class SplitDirectoryReader
{
    public static DatasetSplit Read(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new DataFormatException(directory, 0, "directory not found");
        }

        var builder = new InteractionDatasetBuilder();
        var train = EventFileReader.ReadInto(builder, Path.Combine(directory, "train.tsv"), '\t');
        var valid = EventFileReader.ReadInto(builder, Path.Combine(directory, "valid.tsv"), '\t');
        var test = EventFileReader.ReadInto(builder, Path.Combine(directory, "test.tsv"), '\t');
        var all = builder.Build();
        return new DatasetSplit(all.Select(Range(0, train)), all.Select(Range(train, valid)), all.Select(Range(train + valid, test)));
    }

    private static int[] Range(int start, int count)
    {
        var r = new int[count];
        for (var i = 0; i < count; i++)
        {
            r[i] = start + i;
        }

        return r;
    }
}
