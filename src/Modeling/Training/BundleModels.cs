using Cohortly.Modeling.Purchase;
using Cohortly.Modeling.Ranking;

namespace Cohortly.Modeling.Training;

/// <summary>
/// One cohort's comparison of the learned ranker with the blend on the ranker's comparison users (holdout users the
/// ranker did not learn from): mean NDCG@K of the blend's candidate order and of the ranker's order of the same
/// candidates, the standard error of the paired difference, and whether the ranker serves the cohort by default.
/// </summary>
public sealed record RankerCohortReport(int CohortId, int Users, double BlendNdcg, double RankerNdcg, double StandardError, bool Serves);

/// <summary>
/// The learned re-ranker of a version: the fitted model (null when training could not fit one, with
/// <see cref="Reason"/>), how many blend candidates it re-ranks, and the per-cohort comparison that decides where it
/// serves by default. An experiment's treatment may switch it on or off for any cohort.
/// </summary>
public sealed record RankerModel(CandidateRanker? Model, int Candidates, IReadOnlyList<RankerCohortReport> Cohorts, string Reason)
{
    /// <summary>True when the ranker won the comparison for <paramref name="cohortId"/> (and so serves it unless an experiment says otherwise).</summary>
    public bool ServesCohort(int? cohortId)
    {
        if (Model is null || cohortId is not { } id)
        {
            return false;
        }

        foreach (var c in Cohorts)
        {
            if (c.CohortId == id)
            {
                return c.Serves;
            }
        }

        return false;
    }
}

/// <summary>
/// The calibrated purchase-likelihood model of a version with its holdout evidence: the probability that a user buys
/// within <see cref="Window"/>, learned from profiles at (training time − window) and purchases after; ROC-AUC, log
/// loss and a reliability table over held-out users. Null <see cref="Model"/> with <see cref="Reason"/> when the log
/// could not support one (no purchases, too few users).
/// </summary>
public sealed record PurchaseModelReport(
    PurchaseLikelihoodModel? Model,
    TimeSpan Window,
    int TrainingUsers,
    int HoldoutUsers,
    double PositiveRate,
    double RocAuc,
    double LogLoss,
    IReadOnlyList<CalibrationBin> Reliability,
    string Reason)
{
    /// <summary>Purchase probability for a profile's features, or null without a model.</summary>
    public double? Predict(ReadOnlySpan<float> profileFeatures) => Model?.Predict(profileFeatures);
}
