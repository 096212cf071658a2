using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Ranking;

/// <summary>Per-item facts the ranker's features read: popularity, mean value, age at the cut-off, category indices.</summary>
internal sealed class ItemStatistics
{
    public static ItemStatistics Empty { get; } = new([], [], [], [], []);

    private ItemStatistics(float[] logPopularity, float[] globalShare, float[] meanValue, float[] ageDays, int[][] categories)
    {
        LogPopularity = logPopularity;
        GlobalShare = globalShare;
        MeanValue = meanValue;
        AgeDays = ageDays;
        Categories = categories;
    }

    public int Count => LogPopularity.Length;

    public float[] LogPopularity { get; }

    public float[] GlobalShare { get; }

    public float[] MeanValue { get; }

    /// <summary>log(1 + days between the item's first training event and the last training event).</summary>
    public float[] AgeDays { get; }

    public int[][] Categories { get; }

    public static ItemStatistics Compute(TrainingData data, PopularityRecommender popularity)
    {
        var d = data.Interactions;
        var n = d.ItemCount;
        var counts = new double[n];
        var values = new double[n];
        var first = new long[n];
        Array.Fill(first, long.MaxValue);
        var last = long.MinValue;
        for (var r = 0; r < d.Count; r++)
        {
            var i = d.Items[r];
            counts[i]++;
            values[i] += d.Values[r];
            first[i] = Math.Min(first[i], d.Timestamps[r]);
            last = Math.Max(last, d.Timestamps[r]);
        }

        var itemUsers = data.ItemUsers;
        var logPop = new float[n];
        var mean = new float[n];
        var age = new float[n];
        var share = new float[n];
        popularity.ScoreGroup(-1, share);
        var categoryIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var categories = new int[n][];
        for (var i = 0; i < n; i++)
        {
            // Users, not events: one user repeating an item does not make it popular (as PopularityRecommender counts).
            logPop[i] = (float)Math.Log(1 + itemUsers.RowLength(i));
            mean[i] = counts[i] > 0 ? (float)(values[i] / counts[i]) : 0;
            age[i] = first[i] == long.MaxValue ? 0 : (float)Math.Log(1 + ((last - first[i]) / 86_400.0));
            var meta = d.Catalog.ItemMetadata(i);
            if (meta is null || meta.Categories.Count == 0)
            {
                categories[i] = [];
                continue;
            }

            categories[i] = new int[meta.Categories.Count];
            for (var c = 0; c < meta.Categories.Count; c++)
            {
                if (!categoryIndex.TryGetValue(meta.Categories[c], out var index))
                {
                    index = categoryIndex.Count;
                    categoryIndex[meta.Categories[c]] = index;
                }

                categories[i][c] = index;
            }
        }

        return new ItemStatistics(logPop, share, mean, age, categories);
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Count);
        BinaryArrays.Write(writer, LogPopularity);
        BinaryArrays.Write(writer, GlobalShare);
        BinaryArrays.Write(writer, MeanValue);
        BinaryArrays.Write(writer, AgeDays);
        foreach (var c in Categories)
        {
            writer.Write(c.Length);
            BinaryArrays.Write(writer, c);
        }
    }

    public static ItemStatistics Read(BinaryReader reader)
    {
        var n = reader.ReadInt32();
        var logPop = BinaryArrays.ReadSingle(reader, n);
        var share = BinaryArrays.ReadSingle(reader, n);
        var mean = BinaryArrays.ReadSingle(reader, n);
        var age = BinaryArrays.ReadSingle(reader, n);
        var categories = new int[n][];
        for (var i = 0; i < n; i++)
        {
            categories[i] = BinaryArrays.ReadInt32(reader, reader.ReadInt32());
        }

        return new ItemStatistics(logPop, share, mean, age, categories);
    }
}
