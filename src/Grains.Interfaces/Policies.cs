using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;

namespace Cohortly.Contracts;

/// <summary>Where a cohort's policy in effect comes from.</summary>
[GenerateSerializer, Alias("cohortly.PolicySource")]
public enum PolicySource
{
    /// <summary>The cohort has no policy of its own yet: the active model's default serves it.</summary>
    ModelDefault = 0,

    /// <summary>Training's proposal for the cohort, adopted when its model version became active.</summary>
    Trained = 1,

    /// <summary>An operator's override, kept across trainings until cleared.</summary>
    Override = 2,
}

/// <summary>
/// A cohort's serving policy as its grain owns it: the policy in effect and where it comes from, since when, the
/// proposal of the model version that serves the cohort, and the operator's override with its time.
/// </summary>
[GenerateSerializer, Immutable, Alias("cohortly.CohortPolicy")]
public sealed record CohortPolicy
{
    [Id(0)] public required int CohortId { get; init; }

    /// <summary>Null when <see cref="Source"/> is <see cref="PolicySource.ModelDefault"/>.</summary>
    [Id(1)] public ServingPolicy? Effective { get; init; }

    [Id(2)] public PolicySource Source { get; init; }

    /// <summary>When the policy in effect last changed (null: never set).</summary>
    [Id(3)] public DateTimeOffset? Since { get; init; }

    [Id(4)] public ServingPolicy? Trained { get; init; }

    /// <summary>The model version whose proposal <see cref="Trained"/> is (0: none yet).</summary>
    [Id(5)] public long TrainedModelVersion { get; init; }

    [Id(6)] public ServingPolicy? Override { get; init; }

    [Id(7)] public DateTimeOffset? OverrideSince { get; init; }
}

/// <summary>The wire form of a <see cref="ServingPolicy"/> (Modeling has no Orleans): the kind as a code, then its parameters.</summary>
[GenerateSerializer, Alias("cohortly.ServingPolicySurrogate")]
public struct ServingPolicySurrogate
{
    [Id(0)] public byte Kind;
    [Id(1)] public double First;
    [Id(2)] public double Second;
    [Id(3)] public double DiversityLambda;
    [Id(4)] public int ExplorationSlots;
}

[RegisterConverter]
public sealed class ServingPolicySurrogateConverter : IConverter<ServingPolicy, ServingPolicySurrogate>
{
    private const byte None = 0;
    private const byte EpsilonGreedy = 1;
    private const byte Ucb1 = 2;
    private const byte Thompson = 3;

    public ServingPolicy ConvertFromSurrogate(in ServingPolicySurrogate surrogate)
    {
        ExplorationSpec exploration = surrogate.Kind switch
        {
            None => NoExploration.Instance,
            EpsilonGreedy => new EpsilonGreedyExploration(surrogate.First),
            Ucb1 => new Ucb1Exploration(surrogate.First),
            Thompson => new ThompsonExploration(surrogate.First, surrogate.Second),
            _ => throw new InvalidOperationException($"Unknown exploration policy code {surrogate.Kind}."),
        };
        return new ServingPolicy(exploration, surrogate.DiversityLambda, surrogate.ExplorationSlots);
    }

    public ServingPolicySurrogate ConvertToSurrogate(in ServingPolicy value)
    {
        var surrogate = new ServingPolicySurrogate { DiversityLambda = value.DiversityLambda, ExplorationSlots = value.ExplorationSlots };
        switch (value.Exploration)
        {
            case NoExploration:
                surrogate.Kind = None;
                break;
            case EpsilonGreedyExploration e:
                surrogate.Kind = EpsilonGreedy;
                surrogate.First = e.Epsilon;
                break;
            case Ucb1Exploration u:
                surrogate.Kind = Ucb1;
                surrogate.First = u.Constant;
                break;
            case ThompsonExploration t:
                surrogate.Kind = Thompson;
                surrogate.First = t.Alpha;
                surrogate.Second = t.Beta;
                break;
            default:
                throw new InvalidOperationException($"Exploration policy {value.Exploration?.GetType().Name} has no wire code.");
        }

        return surrogate;
    }
}

/// <summary>An override the cohort refused (the same field errors as the gateway's validation).</summary>
[GenerateSerializer, Alias("cohortly.InvalidPolicyException")]
public sealed class InvalidPolicyException : Exception
{
    public InvalidPolicyException()
    {
    }

    public InvalidPolicyException(string message)
        : base(message)
    {
    }

    public InvalidPolicyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
