using System.Globalization;
using Cohortly.Modeling.Data;

namespace Cohortly.Bench;

/// <summary>
/// Writes a split as train.tsv / valid.tsv / test.tsv (external ids), the layout SplitDirectoryReader reads: one
/// interaction per line (user, item, value, unix seconds), tab-separated, no header line, so another tool reads every
/// line as data.
/// </summary>
internal static class EvalSplitDump
{
    public static void Write(DatasetSplit split, string directory)
    {
        Directory.CreateDirectory(directory);
        WritePart(split.Train, Path.Combine(directory, "train.tsv"));
        WritePart(split.Validation, Path.Combine(directory, "valid.tsv"));
        WritePart(split.Test, Path.Combine(directory, "test.tsv"));
    }

    private static void WritePart(InteractionDataset part, string path)
    {
        using var w = new StreamWriter(path);
        var users = part.Users;
        var items = part.Items;
        var values = part.Values;
        var ts = part.Timestamps;
        for (var r = 0; r < part.Count; r++)
        {
            w.Write(part.Catalog.Users[users[r]]);
            w.Write('\t');
            w.Write(part.Catalog.Items[items[r]]);
            w.Write('\t');
            w.Write(values[r].ToString(CultureInfo.InvariantCulture));
            w.Write('\t');
            w.WriteLine(ts[r].ToString(CultureInfo.InvariantCulture));
        }
    }
}
