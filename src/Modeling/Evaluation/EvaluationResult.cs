using System.Globalization;

namespace Cohortly.Modeling.Evaluation;

/// <summary>Means over the evaluated users (coverage: share of the catalog recommended to at least one of them).</summary>
public sealed record MetricSet(
    int Users,
    double Precision,
    double Recall,
    double Ndcg,
    double Mrr,
    double Hit,
    double Coverage,
    double Diversity,
    double Novelty)
{
    /// <summary>Metric names as the bench reports them ("ndcg@10", …, "coverage", "diversity", "novelty").</summary>
    public IReadOnlyDictionary<string, double> ToDictionary(int k)
    {
        var at = "@" + k.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["ndcg" + at] = Ndcg,
            ["recall" + at] = Recall,
            ["mrr" + at] = Mrr,
            ["hit" + at] = Hit,
            ["precision" + at] = Precision,
            ["coverage"] = Coverage,
            ["diversity"] = Diversity,
            ["novelty"] = Novelty,
        };
    }
}

/// <summary>Overall metrics and, when users carry group labels, metrics per group (only groups with evaluated users).</summary>
public sealed record EvaluationResult(int K, MetricSet Overall, IReadOnlyDictionary<int, MetricSet> ByGroup);
