using Cohortly.Modeling.Exploration;

namespace Cohortly.Modeling.Training;

/// <summary>
/// How a cohort is served: its exploration policy (a typed <see cref="ExplorationSpec"/>), the MMR λ of the diversity
/// step (1 = pure relevance, 0 = pure novelty) and how many of the last positions of a list exploration may fill.
/// Training proposes one per cohort; the cohort grain owns the one in effect (an operator may override it).
/// </summary>
public sealed record ServingPolicy(ExplorationSpec Exploration, double DiversityLambda, int ExplorationSlots)
{
    /// <summary>Slots beyond this would explore most of a page; a larger value is a mistake, not a choice.</summary>
    public const int MaxExplorationSlots = 20;

    public static ServingPolicy Default { get; } = new(new EpsilonGreedyExploration(0.1), 0.9, 1);

    /// <summary>Every invalid field, named by its JSON path ("exploration.epsilon", "diversityLambda").</summary>
    public IReadOnlyList<PolicyFieldError> Validate()
    {
        var errors = new List<PolicyFieldError>();
        if (Exploration is null)
        {
            errors.Add(new PolicyFieldError("exploration", "is required"));
        }
        else
        {
            Exploration.Validate("exploration.", errors);
        }

        if (DiversityLambda is not (>= 0 and <= 1))
        {
            errors.Add(new PolicyFieldError("diversityLambda", "must be between 0 and 1"));
        }

        if (ExplorationSlots is < 0 or > MaxExplorationSlots)
        {
            errors.Add(new PolicyFieldError("explorationSlots", $"must be between 0 and {MaxExplorationSlots}"));
        }

        return errors;
    }

    /// <summary>This policy, or an <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public ServingPolicy EnsureValid()
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new ArgumentException($"invalid serving policy: {errors[0].Field} {errors[0].Message}");
    }

    /// <summary>
    /// The exploration policy for a list of <paramref name="length"/> items, filling at most
    /// <see cref="ExplorationSlots"/> of its last positions (the top of the list stays the ranker's); null when
    /// nothing is explored.
    /// </summary>
    public IExplorationPolicy? CreateExplorer(int length)
    {
        if (ExplorationSlots <= 0 || length <= 0 || Exploration is NoExploration)
        {
            return null;
        }

        var slots = Math.Min(ExplorationSlots, length);
        var positions = new int[slots];
        for (var p = 0; p < slots; p++)
        {
            positions[p] = length - slots + p;
        }

        return Exploration.Create(new ExplorationOptions { SlotPositions = positions, MaxExploredPositions = slots });
    }
}
