using System.Text.Json.Serialization;

namespace Cohortly.Modeling.Exploration;

/// <summary>One invalid field of a policy: <see cref="Field"/> is its JSON path ("exploration.epsilon").</summary>
public sealed record PolicyFieldError(string Field, string Message);

/// <summary>
/// Which exploration policy a cohort is served with, and its parameters: a closed set of records chosen by type, never
/// by name. Each builds its <see cref="IExplorationPolicy"/> and validates itself. The JSON form carries the kind as a
/// discriminator (<c>{"kind":"thompson","alpha":1,"beta":1}</c>); <see cref="Training.ServingPolicyJson"/> reads it
/// with errors that name the field.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(NoExploration), NoExploration.KindName)]
[JsonDerivedType(typeof(EpsilonGreedyExploration), EpsilonGreedyExploration.KindName)]
[JsonDerivedType(typeof(Ucb1Exploration), Ucb1Exploration.KindName)]
[JsonDerivedType(typeof(ThompsonExploration), ThompsonExploration.KindName)]
public abstract record ExplorationSpec
{
    /// <summary>Closed: the kinds are the records in this file.</summary>
    private protected ExplorationSpec()
    {
    }

    /// <summary>The kinds the JSON form accepts, in documentation order.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
        [NoExploration.KindName, EpsilonGreedyExploration.KindName, Ucb1Exploration.KindName, ThompsonExploration.KindName];

    /// <summary>The policy that fills the slots <paramref name="options"/> allows; null for no exploration.</summary>
    public abstract IExplorationPolicy? Create(ExplorationOptions options);

    /// <summary>Adds one error per invalid parameter, named <paramref name="prefix"/> + the parameter's JSON name.</summary>
    public abstract void Validate(string prefix, List<PolicyFieldError> errors);

    private protected static void Check(bool valid, string field, string message, List<PolicyFieldError> errors)
    {
        if (!valid)
        {
            errors.Add(new PolicyFieldError(field, message));
        }
    }
}

/// <summary>The ranker's order, no exploration slots filled.</summary>
public sealed record NoExploration : ExplorationSpec
{
    public const string KindName = "none";

    public static NoExploration Instance { get; } = new();

    public override IExplorationPolicy? Create(ExplorationOptions options) => null;

    public override void Validate(string prefix, List<PolicyFieldError> errors)
    {
    }
}

/// <summary>ε-greedy: each slot shows a uniformly chosen eligible arm with probability <see cref="Epsilon"/> ∈ [0, 1].</summary>
public sealed record EpsilonGreedyExploration(double Epsilon = 0.1) : ExplorationSpec
{
    public const string KindName = "epsilon-greedy";

    public override IExplorationPolicy? Create(ExplorationOptions options) => new EpsilonGreedyPolicy(Epsilon, options);

    public override void Validate(string prefix, List<PolicyFieldError> errors) =>
        Check(Epsilon is >= 0 and <= 1, prefix + "epsilon", "must be between 0 and 1", errors);
}

/// <summary>
/// UCB1 (Auer, Cesa-Bianchi and Fischer 2002): mean reward + <see cref="Constant"/> · √(2 ln n / nᵢ); the constant
/// scales the confidence bonus, finite in [0, <see cref="MaxConstant"/>] (0 is greedy on the evidence).
/// </summary>
public sealed record Ucb1Exploration(double Constant = 1) : ExplorationSpec
{
    public const string KindName = "ucb1";

    public const double MaxConstant = 100;

    public override IExplorationPolicy? Create(ExplorationOptions options) => new Ucb1Policy(Constant, options);

    public override void Validate(string prefix, List<PolicyFieldError> errors) =>
        Check(Constant is >= 0 and <= MaxConstant, prefix + "constant", $"must be between 0 and {MaxConstant}", errors);
}

/// <summary>Thompson sampling with a Beta(<see cref="Alpha"/>, <see cref="Beta"/>) prior on each arm's reward rate.</summary>
public sealed record ThompsonExploration(double Alpha = 1, double Beta = 1) : ExplorationSpec
{
    public const string KindName = "thompson";

    /// <summary>A prior worth more than a million observations would never move; larger values are a typo.</summary>
    public const double MaxPrior = 1e6;

    public override IExplorationPolicy? Create(ExplorationOptions options) => new ThompsonSamplingPolicy(Alpha, Beta, options);

    public override void Validate(string prefix, List<PolicyFieldError> errors)
    {
        Check(Alpha is > 0 and <= MaxPrior, prefix + "alpha", $"must be greater than 0 and at most {MaxPrior:0}", errors);
        Check(Beta is > 0 and <= MaxPrior, prefix + "beta", $"must be greater than 0 and at most {MaxPrior:0}", errors);
    }
}
