using System.Globalization;

namespace Cohortly.Bench;

/// <summary>
/// <c>evaluate --seeds N</c>: each model's test metrics over the seeds as mean ± sample standard deviation (n − 1).
/// The seed changes a random split and every model's initialisation; under a temporal or pre-split protocol only the
/// latter.
/// </summary>
internal static class SeedSummary
{
    public sealed record Score(string Model, double Ndcg, double Recall, double? RefitNdcg, double TrainSeconds);

    public static void Print(List<List<Score>> runs, int k, int firstSeed)
    {
        var at = "@" + k.ToString(CultureInfo.InvariantCulture);
        var refit = runs[0].Exists(s => s.RefitNdcg is not null);
        Console.WriteLine($"mean ± sd over {runs.Count} seeds ({firstSeed}..{firstSeed + runs.Count - 1})");
        var header = $"{"model",-10}  {"ndcg" + at,-17}  {"recall" + at,-17}  {(refit ? $"{"refit ndcg" + at,-17}  " : "")}train s";
        Console.WriteLine(header);
        for (var m = 0; m < runs[0].Count; m++)
        {
            var name = runs[0][m].Model;
            var ndcg = new List<double>();
            var recall = new List<double>();
            var refitted = new List<double>();
            var seconds = new List<double>();
            foreach (var run in runs)
            {
                var s = run[m];
                ndcg.Add(s.Ndcg);
                recall.Add(s.Recall);
                seconds.Add(s.TrainSeconds);
                if (s.RefitNdcg is { } r)
                {
                    refitted.Add(r);
                }
            }

            var refitCell = refit ? (refitted.Count == runs.Count ? MeanSd(refitted) : "-").PadRight(17) + "  " : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-10}  {MeanSd(ndcg),-17}  {MeanSd(recall),-17}  {refitCell}{Mean(seconds):F2}"));
        }
    }

    public static double Mean(List<double> values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum / values.Count;
    }

    /// <summary>Sample standard deviation (n − 1); 0 for a single value.</summary>
    public static double StandardDeviation(List<double> values)
    {
        if (values.Count < 2)
        {
            return 0;
        }

        var mean = Mean(values);
        var squares = 0.0;
        foreach (var v in values)
        {
            squares += (v - mean) * (v - mean);
        }

        return Math.Sqrt(squares / (values.Count - 1));
    }

    private static string MeanSd(List<double> values)
        => string.Create(CultureInfo.InvariantCulture, $"{Mean(values):F4} ± {StandardDeviation(values):F4}");
}
