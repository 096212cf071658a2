using Cohortly.Modeling.Purchase;
using Cohortly.Modeling.Tests.Cohorts;

namespace Cohortly.Modeling.Tests.Purchase;

public sealed class BinaryMetricsTests
{
    [Fact]
    public void Roc_auc_matches_hand_computed_values()
    {
        // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: three of four pairs ordered correctly.
        Assert.Equal(0.75, BinaryMetrics.RocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);

        // A tie between a positive and a negative counts one half: (0.5 + 1 + 1 + 1) / 4.
        Assert.Equal(0.875, BinaryMetrics.RocAuc([0.5, 0.5, 0.2, 0.9], [true, false, false, true]), 12);

        Assert.Equal(1.0, BinaryMetrics.RocAuc([0.1, 0.2, 0.3], [false, true, true]), 12);
        Assert.Equal(0.0, BinaryMetrics.RocAuc([0.1, 0.2, 0.3], [true, false, false]), 12);
        Assert.True(double.IsNaN(BinaryMetrics.RocAuc([0.1, 0.2], [true, true])));
    }

    [Fact]
    public void Calibration_table_bins_cover_every_row_and_every_positive()
    {
        var random = new Random(3);
        var predictions = Enumerable.Range(0, 1003).Select(_ => random.NextDouble()).ToArray();
        var labels = predictions.Select(p => random.NextDouble() < p).ToArray();

        var table = BinaryMetrics.CalibrationTable(predictions, labels, bins: 10);

        Assert.Equal(10, table.Count);
        Assert.Equal(1003, table.Sum(b => b.Count));
        Assert.Equal(labels.Count(l => l), table.Sum(b => b.Positives));
        Assert.Equal(predictions.Sum(), table.Sum(b => b.MeanPredicted * b.Count), 6);
        for (var b = 1; b < table.Count; b++)
        {
            Assert.True(table[b].MinPredicted >= table[b - 1].MaxPredicted, "bins are ordered by prediction");
        }

        // Labels were drawn with the predicted probability, so the top decile converts far more than the bottom one.
        Assert.True(table[^1].ObservedRate > table[0].ObservedRate + 0.5);
    }
}

public sealed class PurchaseLikelihoodTests
{
    [Fact]
    public void Model_from_profile_features_ranks_next_window_buyers_above_the_rest()
    {
        var (data, _) = WorldData.Create(users: 800, days: 60, seed: 21);
        var end = WorldData.End.ToUnixTimeSeconds();
        var window = TimeSpan.FromDays(10);
        var trainSet = PurchaseExamples.Build(data, end - (2 * 864_000), window);
        var testSet = PurchaseExamples.Build(data, end - 864_000, window);

        var model = PurchaseLikelihoodModel.Fit(trainSet, new PurchaseModelOptions { NumberOfIterations = 100 });
        var predictions = model.PredictAll(testSet.Features);

        Assert.InRange(testSet.PositiveRate, 0.05, 0.95);
        var auc = BinaryMetrics.RocAuc(predictions, testSet.Labels);
        Assert.True(auc > 0.75, $"AUC {auc:F3}");
        var meanPredicted = model.PredictAll(trainSet.Features).Average();
        Assert.Equal(trainSet.PositiveRate, meanPredicted, 1);

        var explanation = model.Explain(testSet.Features.ReadRow(0));
        Assert.Equal(PurchaseExamples.FeatureNames.Count, explanation.Count);
    }

    [Fact]
    public void Written_model_reads_back_with_the_same_predictions()
    {
        var (data, _) = WorldData.Create(users: 300, days: 30, seed: 4);
        var examples = PurchaseExamples.Build(data, WorldData.End.ToUnixTimeSeconds() - 864_000, TimeSpan.FromDays(10));
        var model = PurchaseLikelihoodModel.Fit(examples, new PurchaseModelOptions { NumberOfIterations = 30 });
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            model.Write(writer);
        }

        stream.Position = 0;
        var copy = PurchaseLikelihoodModel.Read(new BinaryReader(stream));

        Assert.Equal(model.PredictAll(examples.Features), copy.PredictAll(examples.Features));
    }
}
