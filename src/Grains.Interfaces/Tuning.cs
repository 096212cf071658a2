using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>One configuration a training run's self-tuning trained and scored on its tuning split.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.TuningTrialInfo")]
public sealed record TuningTrialInfo(
    [property: Id(0)] string Family,
    [property: Id(1)] string Parameters,
    [property: Id(2)] double Ndcg,
    [property: Id(3)] double Seconds);

/// <summary>
/// What a version's self-tuning chose: the configured and the chosen hyper-parameters and blend weights (family-prefixed
/// grid names), both scored on the tuning split (a split inside the training part), every configuration tried, and
/// whether the budget (deterministic) or the wall-clock cap stopped the search.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.TuningInfo")]
public sealed record TuningInfo(
    [property: Id(0)] bool Enabled,
    [property: Id(1)] bool Tuned,
    [property: Id(2)] string Reason,
    [property: Id(3)] int Budget,
    [property: Id(4)] int ValidationUsers,
    [property: Id(5)] double? DefaultNdcg,
    [property: Id(6)] double? ChosenNdcg,
    [property: Id(7)] IReadOnlyDictionary<string, double> Defaults,
    [property: Id(8)] IReadOnlyDictionary<string, double> Chosen,
    [property: Id(9)] IReadOnlyList<TuningTrialInfo> Trials,
    [property: Id(10)] string? Stopped,
    [property: Id(11)] double Seconds);
