using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>How a training run ended, for whoever waits on it (a drift alert's retrain).</summary>
[GenerateSerializer, Alias("cohortly.TrainingRunResult")]
public enum TrainingRunResult
{
    /// <summary>Its version passed the promotion gate and is active.</summary>
    Promoted = 0,

    /// <summary>Its version was registered as rejected (promotion gate or segmentation quality floor).</summary>
    Rejected = 1,

    /// <summary>The run failed; no version was registered.</summary>
    Failed = 2,
}

/// <summary>A finished training run: which, how it ended, its version (0 when it failed), why, and when.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.TrainingRunOutcome")]
public sealed record TrainingRunOutcome(
    [property: Id(0)] string RunId,
    [property: Id(1)] TrainingRunResult Result,
    [property: Id(2)] long Version,
    [property: Id(3)] string Reason,
    [property: Id(4)] DateTimeOffset FinishedAt);
