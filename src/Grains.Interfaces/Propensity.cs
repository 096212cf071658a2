using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>Whether a propensity could be computed.</summary>
[GenerateSerializer, Alias("cohortly.PropensityStatus")]
public enum PropensityStatus
{
    /// <summary>Computed from the user's live profile.</summary>
    Available = 0,

    /// <summary>The user has never been seen.</summary>
    UnknownUser = 1,

    /// <summary>No model is loaded, or the active version has no purchase model (the reason says which).</summary>
    NoModel = 2,
}

/// <summary>
/// A user's probability of buying within <see cref="WindowDays"/>, from the active version's calibrated purchase model,
/// with the profile features that moved it most (log-odds contributions before calibration).
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.PropensityView")]
public sealed record PropensityView(
    [property: Id(0)] string UserId,
    [property: Id(1)] PropensityStatus Status,
    [property: Id(2)] double Probability,
    [property: Id(3)] double WindowDays,
    [property: Id(4)] long ModelVersion,
    [property: Id(5)] IReadOnlyList<ScoreContribution> Contributions,
    [property: Id(6)] string? Reason = null);

/// <summary>The learned ranker of a version against the blend, for one cohort (its comparison users).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.RankerCohortInfo")]
public sealed record RankerCohortInfo(
    [property: Id(0)] int CohortId,
    [property: Id(1)] int Users,
    [property: Id(2)] double BlendNdcg,
    [property: Id(3)] double RankerNdcg,
    [property: Id(4)] double StandardError,
    [property: Id(5)] bool Serves);

/// <summary>The learned ranker of a version: whether one was fitted, how many candidates it re-ranks, the per-cohort comparison.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.RankerInfo")]
public sealed record RankerInfo(
    [property: Id(0)] bool Trained,
    [property: Id(1)] int Candidates,
    [property: Id(2)] string Reason,
    [property: Id(3)] IReadOnlyList<RankerCohortInfo> Cohorts,
    [property: Id(4)] IReadOnlyList<string> Features);

/// <summary>One bin of the purchase model's reliability table on holdout.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.ReliabilityBinInfo")]
public sealed record ReliabilityBinInfo(
    [property: Id(0)] int Bin,
    [property: Id(1)] int Users,
    [property: Id(2)] int Buyers,
    [property: Id(3)] double MinPredicted,
    [property: Id(4)] double MaxPredicted,
    [property: Id(5)] double MeanPredicted,
    [property: Id(6)] double ObservedRate);

/// <summary>The purchase model of a version with its holdout metrics (null metrics when no model could be trained; see reason).</summary>
[GenerateSerializer, Immutable, Alias("cohortly.PurchaseModelInfo")]
public sealed record PurchaseModelInfo(
    [property: Id(0)] bool Trained,
    [property: Id(1)] double WindowDays,
    [property: Id(2)] int TrainingUsers,
    [property: Id(3)] int HoldoutUsers,
    [property: Id(4)] double PositiveRate,
    [property: Id(5)] double? RocAuc,
    [property: Id(6)] double? LogLoss,
    [property: Id(7)] IReadOnlyList<ReliabilityBinInfo> Reliability,
    [property: Id(8)] string Reason);
