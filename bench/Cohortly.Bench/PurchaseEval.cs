using System.Globalization;
using System.Text.Json;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Purchase;

namespace Cohortly.Bench;

/// <summary>
/// Purchase-likelihood check inside <c>evaluate --purchase</c>: the model learns from profiles at the cut-off
/// <c>last − 2·window</c> (label: a conversion in the window after it) and is scored on profiles at <c>last − window</c>
/// (label: a conversion in the final window). Both cut-offs lie before the final window, so the test labels are
/// never seen in training. A conversion is a purchase event, or for rating data a rating ≥ --purchase-min-value.
/// </summary>
internal sealed record PurchaseReport(
    int WindowDays,
    float MinValue,
    int TrainUsers,
    double TrainPositiveRate,
    int TestUsers,
    double TestPositiveRate,
    double Auc,
    double BaselineAuc,
    double Brier,
    double BaseRateBrier,
    double TrainSeconds,
    IReadOnlyList<CalibrationBin> Calibration,
    IReadOnlyList<(string Feature, double Gain)> Importance)
{
    public static PurchaseReport Run(InteractionDataset data, int windowDays, float minValue, int seed)
    {
        var last = 0L;
        foreach (var t in data.Timestamps)
        {
            last = Math.Max(last, t);
        }

        var window = TimeSpan.FromDays(windowDays);
        var seconds = (long)window.TotalSeconds;
        var train = PurchaseExamples.Build(data, last - (2 * seconds), window, minValue);
        var test = PurchaseExamples.Build(data, last - seconds, window, minValue);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var model = PurchaseLikelihoodModel.Fit(train, new PurchaseModelOptions { Seed = seed });
        var fitSeconds = watch.Elapsed.TotalSeconds;
        var predicted = model.PredictAll(test.Features);

        // Reference: rank users by their activity in the last 28 days before the cut-off alone.
        var recent = new double[test.Count];
        var column = PurchaseExamples.FeatureNames.Count - 1;
        for (var r = 0; r < test.Count; r++)
        {
            recent[r] = test.Features.ReadRow(r)[column];
        }

        var baseRate = new double[test.Count];
        Array.Fill(baseRate, train.PositiveRate);
        var gains = model.GainImportance();
        var importance = new List<(string, double)>();
        for (var f = 0; f < gains.Length; f++)
        {
            importance.Add((model.FeatureNames[f], gains[f]));
        }

        importance.Sort(static (a, b) => b.Item2.CompareTo(a.Item2));
        return new PurchaseReport(
            windowDays,
            minValue,
            train.Count,
            train.PositiveRate,
            test.Count,
            test.PositiveRate,
            BinaryMetrics.RocAuc(predicted, test.Labels),
            BinaryMetrics.RocAuc(recent, test.Labels),
            BinaryMetrics.BrierScore(predicted, test.Labels),
            BinaryMetrics.BrierScore(baseRate, test.Labels),
            fitSeconds,
            BinaryMetrics.CalibrationTable(predicted, test.Labels, 10),
            importance);
    }

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"purchase likelihood (conversion = value >= {MinValue} or a purchase event, window {WindowDays} days)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  train: {TrainUsers} users at cut-off last-2w, positive rate {TrainPositiveRate:F4}; test: {TestUsers} users at cut-off last-w, positive rate {TestPositiveRate:F4}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  test ROC-AUC {Auc:F4} (recent-activity-only reference {BaselineAuc:F4}); Brier {Brier:F4} (base rate {BaseRateBrier:F4}); fit {TrainSeconds:F2}s"));
        Console.WriteLine("  decile  users  predicted  observed");
        foreach (var b in Calibration)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {b.Bin + 1,6}  {b.Count,5}  {b.MeanPredicted,9:F4}  {b.ObservedRate,8:F4}"));
        }

        var top = new List<string>();
        for (var f = 0; f < Math.Min(5, Importance.Count); f++)
        {
            top.Add(string.Create(CultureInfo.InvariantCulture, $"{Importance[f].Feature}={Importance[f].Gain:G4}"));
        }

        Console.WriteLine($"  gain importance: {string.Join(", ", top)}");
    }

    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject("purchase");
        w.WriteNumber("window_days", WindowDays);
        w.WriteNumber("min_value", MinValue);
        w.WriteNumber("train_users", TrainUsers);
        w.WriteNumber("train_positive_rate", TrainPositiveRate);
        w.WriteNumber("test_users", TestUsers);
        w.WriteNumber("test_positive_rate", TestPositiveRate);
        w.WriteNumber("roc_auc", Auc);
        w.WriteNumber("recent_activity_roc_auc", BaselineAuc);
        w.WriteNumber("brier", Brier);
        w.WriteNumber("base_rate_brier", BaseRateBrier);
        w.WriteStartArray("calibration");
        foreach (var b in Calibration)
        {
            w.WriteStartObject();
            w.WriteNumber("decile", b.Bin + 1);
            w.WriteNumber("users", b.Count);
            w.WriteNumber("predicted", b.MeanPredicted);
            w.WriteNumber("observed", b.ObservedRate);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
