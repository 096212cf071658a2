using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Segmentation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Cohortly.Modeling.Purchase;

public sealed record PurchaseModelOptions
{
    public int NumberOfLeaves { get; init; } = 7;

    public int NumberOfIterations { get; init; } = 100;

    public double LearningRate { get; init; } = 0.05;

    public int MinimumExampleCountPerLeaf { get; init; } = 30;

    public int Seed { get; init; } = 7;
}

/// <summary>
/// Will this user convert in the next window? A LightGBM binary classifier (through ML.NET) on profile features at a
/// cut-off; the trees and ML.NET's Platt calibration are copied out so prediction is thread-safe, allocation-free and
/// serialisable, with per-prediction feature contributions (in log-odds) for explanations.
/// </summary>
public sealed class PurchaseLikelihoodModel
{
    private const int FormatVersion = 1;

    private PurchaseLikelihoodModel(TreeEnsemble ensemble, double slope, double offset, IReadOnlyList<string> featureNames)
    {
        Ensemble = ensemble;
        Slope = slope;
        Offset = offset;
        FeatureNames = featureNames;
    }

    public IReadOnlyList<string> FeatureNames { get; }

    internal TreeEnsemble Ensemble { get; }

    /// <summary>Platt calibration: p = 1 / (1 + exp(Slope · raw + Offset)).</summary>
    public double Slope { get; }

    public double Offset { get; }

    /// <param name="featureNames">Names of the feature columns; defaults to <see cref="PurchaseExamples.FeatureNames"/> when the widths agree.</param>
    public static PurchaseLikelihoodModel Fit(PurchaseExamples examples, PurchaseModelOptions? options = null, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new PurchaseModelOptions();
        var columns = examples.Features.Columns;
        var rows = new List<Row>(examples.Count);
        for (var r = 0; r < examples.Count; r++)
        {
            rows.Add(new Row { Label = examples.Labels[r], Features = examples.Features.ReadRow(r).ToArray() });
        }

        var ml = new MLContext(options.Seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, columns);
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        var model = ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            NumberOfLeaves = options.NumberOfLeaves,
            NumberOfIterations = options.NumberOfIterations,
            LearningRate = options.LearningRate,
            MinimumExampleCountPerLeaf = options.MinimumExampleCountPerLeaf,
            UseCategoricalSplit = false,
            Seed = options.Seed,
            Deterministic = true,
            NumberOfThreads = 1,
            Silent = true,
        }).Fit(view);
        var ensemble = TreeEnsemble.FromMlNet(model.Model.SubModel.TrainedTreeEnsemble, columns);
        ensemble.CalibrateNodeValues(examples.Features);
        return new PurchaseLikelihoodModel(ensemble, model.Model.Calibrator.Slope, model.Model.Calibrator.Offset, featureNames is { } names && names.Count == columns ? names
            : PurchaseExamples.FeatureNames.Count == columns ? PurchaseExamples.FeatureNames : Names(columns));
    }

    /// <summary>Probability of converting in the window.</summary>
    public double Predict(ReadOnlySpan<float> features) => Probability(Ensemble.Predict(features));

    public double[] PredictAll(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var result = new double[features.Rows];
        for (var r = 0; r < result.Length; r++)
        {
            result[r] = Predict(features.ReadRow(r));
        }

        return result;
    }

    /// <summary>Total split gain per feature (same order as <see cref="FeatureNames"/>).</summary>
    public double[] GainImportance() => Ensemble.GainImportance();

    /// <summary>Each feature's contribution to the raw score (log-odds scale, before calibration), largest first.</summary>
    public IReadOnlyList<(string Feature, double Contribution)> Explain(ReadOnlySpan<float> features)
    {
        var contributions = new double[FeatureNames.Count];
        Ensemble.Contributions(features, contributions);
        var result = new List<(string, double)>(contributions.Length);
        for (var f = 0; f < contributions.Length; f++)
        {
            result.Add((FeatureNames[f], contributions[f]));
        }

        result.Sort(static (a, b) => Math.Abs(b.Item2).CompareTo(Math.Abs(a.Item2)));
        return result;
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Slope);
        writer.Write(Offset);
        Data.BinaryArrays.WriteStrings(writer, [.. FeatureNames]);
        Ensemble.Write(writer);
    }

    public static PurchaseLikelihoodModel Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadInt32() != FormatVersion)
        {
            throw new InvalidDataException("unsupported purchase model version");
        }

        var slope = reader.ReadDouble();
        var offset = reader.ReadDouble();
        var names = Data.BinaryArrays.ReadStrings(reader);
        return new PurchaseLikelihoodModel(TreeEnsemble.Read(reader), slope, offset, names);
    }

    private double Probability(double raw) => 1 / (1 + Math.Exp((Slope * raw) + Offset));

    private static string[] Names(int columns)
    {
        var names = new string[columns];
        for (var c = 0; c < columns; c++)
        {
            names[c] = "f" + c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return names;
    }

    private sealed class Row
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = [];
    }
}
