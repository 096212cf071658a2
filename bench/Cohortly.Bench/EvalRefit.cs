using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Bench;

/// <summary>
/// <c>evaluate --refit</c>: every selected configuration (its tuned hyper-parameters, blend weights, per-cohort
/// decisions) fitted again on train + validation, as training in the cluster fits the served model on everything it
/// has, and scored on the same test users. Models are refitted in the order they were searched, so a blend combines
/// the refitted components. The ranker is not refitted: it learns from the validation items, which the refit trains
/// on; its row keeps only the protocol without refit.
/// </summary>
internal static class EvalRefit
{
    public static Dictionary<string, EvaluationResult> Run(
        EvalContext trainContext,
        TrainingData history,
        IReadOnlyList<(string Name, SearchResult Result)> selected,
        RankingEvaluator test,
        int seed)
    {
        var refitted = new Dictionary<string, IRecommender>(StringComparer.OrdinalIgnoreCase);
        var context = trainContext with { Train = history, Fitted = refitted };
        var results = new Dictionary<string, EvaluationResult>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, result) in selected)
        {
            IRecommender model;
            switch (result.BestModel)
            {
                case LambdaMartRanker:
                    Console.Error.WriteLine("ranker: not refitted (it learns from the validation items the refit trains on)");
                    continue;
                case CohortAwareRecommender cohort:
                    if (Signals(cohort, refitted) is not { } signals)
                    {
                        Console.Error.WriteLine("cohort: not refitted (a component of its backbone was not refitted)");
                        continue;
                    }

                    // The per-cohort decisions taken on validation are part of the selected configuration.
                    model = CohortAwareRecommender.FromDecisions(signals, history, cohort.Decisions, context.CohortOptions);
                    break;
                default:
                    model = EvalModels.All[name](context).Create(result.Best.Parameters);
                    model.Fit(history, new Random(seed));
                    break;
            }

            refitted[name] = model;
            results[name] = test.Evaluate(model);
        }

        return results;
    }

    private static List<CohortSignal>? Signals(CohortAwareRecommender cohort, Dictionary<string, IRecommender> refitted)
    {
        var signals = new List<CohortSignal>(cohort.Signals.Count);
        foreach (var s in cohort.Signals)
        {
            if (!refitted.TryGetValue(s.Name, out var model))
            {
                return null;
            }

            signals.Add(s with { Model = model });
        }

        return signals;
    }
}
