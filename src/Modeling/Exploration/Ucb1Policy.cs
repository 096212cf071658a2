namespace Cohortly.Modeling.Exploration;

/// <summary>
/// UCB1: slots go to eligible arms in order of mean reward + c·√(2 ln N / n), where n is the arm's
/// impressions and N the impressions of all eligible candidates. An eligible arm without
/// impressions has an infinite index, so every new arm is shown once before any is repeated.
/// Deterministic: the <see cref="Random"/> is not consumed.
/// </summary>
public sealed class Ucb1Policy : IExplorationPolicy
{
    private readonly ExplorationOptions _options;

    public Ucb1Policy(double explorationWeight = 1, ExplorationOptions? options = null)
    {
        if (!(explorationWeight >= 0) || double.IsInfinity(explorationWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(explorationWeight), explorationWeight, "The exploration weight must be finite and non-negative.");
        }

        ExplorationWeight = explorationWeight;
        _options = options ?? new ExplorationOptions();
        _options.Validate();
    }

    public double ExplorationWeight { get; }

    public ExplorationResult Rerank(IReadOnlyList<ArmCandidate> candidates, int count, DateTimeOffset now, Random random)
    {
        SlotArranger.Validate(candidates, count, random);
        var eligible = SlotArranger.Eligibility(candidates, _options, now);
        var indices = Indices(candidates, eligible);
        var chooser = new OrderedChooser(SlotArranger.ValueOrder(candidates, indices, eligible));
        return SlotArranger.Arrange(candidates, count, _options, ref chooser);
    }

    /// <summary>The UCB1 index of each candidate (NaN for ineligible ones).</summary>
    public double[] Indices(IReadOnlyList<ArmCandidate> candidates, ReadOnlySpan<bool> eligible)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var total = 0L;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (eligible[i])
            {
                total += candidates[i].Impressions;
            }
        }

        var logTotal = Math.Log(Math.Max(1, total));
        var indices = new double[candidates.Count];
        for (var i = 0; i < indices.Length; i++)
        {
            var c = candidates[i];
            if (!eligible[i])
            {
                indices[i] = double.NaN;
            }
            else if (c.Impressions == 0)
            {
                indices[i] = double.PositiveInfinity;
            }
            else
            {
                indices[i] = (c.Rewards / c.Impressions) + (ExplorationWeight * Math.Sqrt(2 * logTotal / c.Impressions));
            }
        }

        return indices;
    }
}
