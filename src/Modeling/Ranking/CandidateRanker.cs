using System.ComponentModel.DataAnnotations;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Segmentation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Cohortly.Modeling.Ranking;

/// <summary>Settings of the serving re-ranker's LambdaMART fit (LightGBM through ML.NET).</summary>
public sealed record CandidateRankerOptions
{
    [Range(2, 256)]
    public int NumberOfLeaves { get; init; } = 7;

    [Range(1, 2000)]
    public int NumberOfIterations { get; init; } = 100;

    [Range(1e-4, 1.0)]
    public double LearningRate { get; init; } = 0.1;

    [Range(1, int.MaxValue)]
    public int MinimumExampleCountPerLeaf { get; init; } = 20;

    public int Seed { get; init; } = 7;
}

/// <summary>
/// One query's candidates for <see cref="CandidateRanker.Fit"/>: a feature row per candidate and whether the user
/// took it (the held-out positives).
/// </summary>
public sealed record RankerQuery(FeatureMatrix Features, bool[] Relevant);

/// <summary>
/// LambdaMART over a cohort's serving candidates (Burges 2010, "From RankNet to LambdaRank to LambdaMART"): LightGBM's
/// lambdarank objective on NDCG, fitted through ML.NET, with the trees copied out into a <see cref="TreeEnsemble"/> so
/// scoring is thread-safe and allocation-free, the model serialises with the bundle, and every score comes with
/// path-based feature contributions (explain=true). The features are whatever the serving stage describes a candidate
/// with (named in <see cref="FeatureNames"/>); this class knows nothing of where they come from.
/// </summary>
public sealed class CandidateRanker
{
    private const int FormatVersion = 1;

    private CandidateRanker(TreeEnsemble ensemble, string[] featureNames)
    {
        Ensemble = ensemble;
        FeatureNames = featureNames;
    }

    public IReadOnlyList<string> FeatureNames { get; }

    public int TreeCount => Ensemble.TreeCount;

    /// <summary>The score of an "average" candidate; contributions add up from it to a candidate's score.</summary>
    public double ExpectedValue => Ensemble.ExpectedValue;

    private TreeEnsemble Ensemble { get; }

    /// <summary>
    /// Fits the ranker on <paramref name="queries"/> (one per user; a query without a relevant candidate teaches
    /// LambdaMART nothing and is skipped). Null when no query has a relevant and an irrelevant candidate.
    /// </summary>
    public static CandidateRanker? Fit(IReadOnlyList<RankerQuery> queries, IReadOnlyList<string> featureNames, CandidateRankerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(featureNames);
        options ??= new CandidateRankerOptions();
        var columns = featureNames.Count;
        var rows = new List<Row>();
        var group = 0u;
        foreach (var q in queries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (q.Features.Columns != columns || q.Features.Rows != q.Relevant.Length)
            {
                throw new ArgumentException("every query needs one feature row of the named width per candidate");
            }

            var positives = 0;
            foreach (var r in q.Relevant)
            {
                positives += r ? 1 : 0;
            }

            if (positives == 0 || positives == q.Relevant.Length)
            {
                continue;
            }

            group++;
            for (var r = 0; r < q.Relevant.Length; r++)
            {
                rows.Add(new Row { Label = q.Relevant[r] ? 1f : 0f, GroupId = group, Features = q.Features.ReadRow(r).ToArray() });
            }
        }

        if (group == 0)
        {
            return null;
        }

        var ml = new MLContext(options.Seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, columns);
        schema[nameof(Row.GroupId)].ColumnType = new KeyDataViewType(typeof(uint), (ulong)group + 1);
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        var model = ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            RowGroupColumnName = nameof(Row.GroupId),
            NumberOfLeaves = options.NumberOfLeaves,
            NumberOfIterations = options.NumberOfIterations,
            LearningRate = options.LearningRate,
            MinimumExampleCountPerLeaf = options.MinimumExampleCountPerLeaf,
            EvaluationMetric = LightGbmRankingTrainer.Options.EvaluateMetricType.NormalizedDiscountedCumulativeGain,
            UseCategoricalSplit = false,
            Seed = options.Seed,
            Deterministic = true,
            NumberOfThreads = 1,
            Silent = true,
        }).Fit(view);
        var ensemble = TreeEnsemble.FromMlNet(model.Model.TrainedTreeEnsemble, columns);
        var matrix = new FeatureMatrix(rows.Count, columns);
        for (var r = 0; r < rows.Count; r++)
        {
            rows[r].Features.CopyTo(matrix.Row(r));
        }

        ensemble.CalibrateNodeValues(matrix);
        return new CandidateRanker(ensemble, [.. featureNames]);
    }

    public double Score(ReadOnlySpan<float> features) => Ensemble.Predict(features);

    /// <summary>
    /// <see cref="Score"/> of every candidate at once: row r of <paramref name="rows"/> starts at <c>r × width</c>,
    /// one score per element of <paramref name="scores"/>; each the same double <see cref="Score"/> gives.
    /// </summary>
    public void ScoreAll(ReadOnlySpan<float> rows, int width, Span<double> scores) => Ensemble.PredictAll(rows, width, scores);

    /// <summary>
    /// Each feature's contribution to the candidate's score into <paramref name="contributions"/> (one per feature);
    /// returns the score, which is <see cref="ExpectedValue"/> plus their sum.
    /// </summary>
    public double Contributions(ReadOnlySpan<float> features, Span<double> contributions) => Ensemble.Contributions(features, contributions);

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        BinaryArrays.WriteStrings(writer, [.. FeatureNames]);
        Ensemble.Write(writer);
    }

    public static CandidateRanker Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadInt32() != FormatVersion)
        {
            throw new InvalidDataException("unsupported candidate ranker version");
        }

        var names = BinaryArrays.ReadStrings(reader);
        var ensemble = TreeEnsemble.Read(reader);
        if (ensemble.FeatureCount != names.Length)
        {
            throw new InvalidDataException("candidate ranker feature names and trees disagree");
        }

        return new CandidateRanker(ensemble, names);
    }

    private sealed class Row
    {
        public float Label { get; set; }

        public uint GroupId { get; set; }

        public float[] Features { get; set; } = [];
    }
}
