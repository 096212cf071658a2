namespace Cohortly.Modeling.Exploration;

/// <summary>
/// ε-greedy over the ranker's order: each slot, with probability ε, shows a uniformly chosen
/// eligible arm instead of the next best-scored one. ε = 0 returns the score order unchanged. Every slot's decision
/// is logged with its propensity (<see cref="ExplorationResult.Decisions"/>), for off-policy evaluation.
/// </summary>
public sealed class EpsilonGreedyPolicy : IExplorationPolicy
{
    private readonly ExplorationOptions _options;

    public EpsilonGreedyPolicy(double epsilon, ExplorationOptions? options = null)
    {
        if (!(epsilon >= 0 && epsilon <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be in [0, 1].");
        }

        Epsilon = epsilon;
        _options = options ?? new ExplorationOptions();
        _options.Validate();
    }

    public double Epsilon { get; }

    public ExplorationResult Rerank(IReadOnlyList<ArmCandidate> candidates, int count, DateTimeOffset now, Random random)
    {
        SlotArranger.Validate(candidates, count, random);
        var chooser = new Chooser(SlotArranger.Eligibility(candidates, _options, now), Epsilon, random);
        return SlotArranger.Arrange(candidates, count, _options, ref chooser);
    }

    private struct Chooser(bool[] eligible, double epsilon, Random random) : ISlotChooser
    {
        public readonly bool LogsDecisions => true;

        public readonly SlotDecision Describe(int pick, int greedy, ReadOnlySpan<bool> placed)
        {
            // P(pick | placements above) = (1 − ε)·[pick = greedy] + ε·[pick open and eligible]/open, or [pick = greedy] when
            // nothing is open (Choose declines then). One O(n) pass per slot; slots are few.
            var open = 0;
            for (var i = 0; i < eligible.Length; i++)
            {
                open += eligible[i] && !placed[i] ? 1 : 0;
            }

            return SlotDecision.EpsilonGreedy(epsilon, pick == greedy, eligible[pick] && !placed[pick], open);
        }

        public readonly int Choose(ReadOnlySpan<bool> placed)
        {
            // One coin per slot, drawn even when nothing is eligible, so the random stream (and
            // therefore every later choice) does not depend on which arms happen to be eligible.
            if (random.NextDouble() >= epsilon)
            {
                return -1;
            }

            var open = 0;
            for (var i = 0; i < eligible.Length; i++)
            {
                open += eligible[i] && !placed[i] ? 1 : 0;
            }

            if (open == 0)
            {
                return -1;
            }

            var target = random.Next(open);
            for (var i = 0; i < eligible.Length; i++)
            {
                if (eligible[i] && !placed[i] && target-- == 0)
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
