using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Segmentation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Cohortly.Modeling.Tests.Ranking;

public sealed class TreeEnsembleTests
{
    private sealed class Row
    {
        public float Label { get; set; }

        [VectorType(3)]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void Copied_ensemble_predicts_what_mlnet_predicts_and_contributions_add_up()
    {
        var random = new Random(2);
        var rows = new List<Row>();
        for (var i = 0; i < 600; i++)
        {
            float a = random.NextSingle(), b = random.NextSingle(), c = random.NextSingle();
            rows.Add(new Row { Features = [a, b, c], Label = (3 * a) + (b > 0.5f ? 1 : 0) + (0.1f * random.NextSingle()) });
        }

        var ml = new MLContext(1);
        var view = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options { NumberOfIterations = 40, NumberOfLeaves = 8, MinimumExampleCountPerLeaf = 10, Silent = true, NumberOfThreads = 1 }).Fit(view);
        var expected = ml.Data.CreateEnumerable<Prediction>(model.Transform(view), reuseRowObject: false).Select(p => p.Score).ToArray();

        var ensemble = TreeEnsemble.FromMlNet(model.Model.TrainedTreeEnsemble, 3);
        ensemble.CalibrateNodeValues(FeatureMatrix.FromRows(rows.Select(r => r.Features).ToList()));

        var contributions = new double[3];
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expected[i], ensemble.Predict(rows[i].Features), 4);
            var score = ensemble.Contributions(rows[i].Features, contributions);
            Assert.Equal(score, ensemble.ExpectedValue + contributions.Sum(), 6);
        }

        // The third feature carries no signal, so it earns the least split gain.
        var gain = ensemble.GainImportance();
        Assert.True(gain[2] < gain[0] && gain[2] < gain[1], string.Join(", ", gain));
    }

    private sealed class Prediction
    {
        public float Score { get; set; }
    }
}
