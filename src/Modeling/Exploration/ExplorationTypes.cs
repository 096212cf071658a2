namespace Cohortly.Modeling.Exploration;

/// <summary>
/// One candidate item (arm) offered to an exploration policy: the ranker's score plus the bandit
/// evidence gathered for it in this cohort.
/// </summary>
/// <param name="ArmId">Item id.</param>
/// <param name="Score">Ranker score; orders every position that is not an exploration slot.</param>
/// <param name="Impressions">Times the arm was shown (bandit trials).</param>
/// <param name="Rewards">Reward collected (clicks/conversions); expected in [0, Impressions].</param>
/// <param name="FirstSeen">When the arm entered the catalog or the cohort's candidate pool.</param>
public readonly record struct ArmCandidate(string ArmId, double Score, long Impressions, double Rewards, DateTimeOffset FirstSeen);

/// <summary>A position in the re-ranked list.</summary>
/// <param name="ArmId">Item id.</param>
/// <param name="CandidateIndex">Index of the arm in the candidate list passed in.</param>
/// <param name="Score">The arm's ranker score.</param>
/// <param name="Explored">True when the policy's exploration rule, not the score order, filled this position.</param>
public readonly record struct RankedArm(string ArmId, int CandidateIndex, double Score, bool Explored);

/// <summary>The re-ranked list and the positions the policy filled by exploration.</summary>
/// <param name="Ranking">The list.</param>
/// <param name="ExploredPositions">Positions the exploration rule filled.</param>
/// <param name="Decisions">
/// Per position, the logged slot decision when the policy's choice has a closed-form probability (ε-greedy); null for
/// policies without one (UCB1 is deterministic, Thompson sampling's probability is an integral without closed form).
/// A position the policy was not asked about (not a slot) has the default decision (<see cref="SlotDecision.IsLogged"/> false).
/// </param>
public sealed record ExplorationResult(RankedArm[] Ranking, int[] ExploredPositions, SlotDecision[]? Decisions = null);

/// <summary>
/// How an ε-greedy exploration slot was filled, as much as off-policy evaluation needs: the probability the logging
/// policy had of placing the arm it placed (given the arms placed above it), whether that arm was the greedy one (the
/// best-scored arm not yet placed), whether it was an eligible arm not yet placed, and how many such arms there were.
/// With these, the probability any ε'-greedy policy would have placed the same arm is closed-form
/// (<see cref="TargetProbability"/>), so a log can be re-weighted for every ε' without keeping the candidate lists.
/// </summary>
/// <param name="Propensity">μ in (0, 1] for a logged decision; 0 when the position was not a decision.</param>
/// <param name="Greedy">The placed arm was the greedy pick.</param>
/// <param name="OpenEligible">The placed arm was eligible and not yet placed (a uniform exploration pick could choose it).</param>
/// <param name="Open">Eligible arms not yet placed when the slot was filled.</param>
public readonly record struct SlotDecision(double Propensity, bool Greedy, bool OpenEligible, int Open)
{
    public bool IsLogged => Propensity > 0;

    /// <summary>
    /// The probability a uniform exploration pick places this arm: 1/open for an open eligible arm; when nothing is
    /// open the ε-greedy rule falls back to the greedy arm, so 1 for it and 0 otherwise.
    /// </summary>
    public double UniformShare => Open > 0 ? (OpenEligible ? 1.0 / Open : 0) : (Greedy ? 1 : 0);

    /// <summary>The probability an ε-greedy policy with <paramref name="epsilon"/> places this arm in this slot: (1 − ε)·[greedy] + ε·<see cref="UniformShare"/>.</summary>
    public double TargetProbability(double epsilon) => ((1 - epsilon) * (Greedy ? 1 : 0)) + (epsilon * UniformShare);

    /// <summary>The decision for an arm placed at an ε-greedy slot (its propensity is the policy's own target probability).</summary>
    public static SlotDecision EpsilonGreedy(double epsilon, bool greedy, bool openEligible, int open)
    {
        var d = new SlotDecision(1, greedy, openEligible, open);
        return d with { Propensity = d.TargetProbability(epsilon) };
    }
}

/// <summary>Settings shared by every policy.</summary>
public sealed record ExplorationOptions
{
    /// <summary>
    /// Arms first seen at most this long ago are "new" and may fill exploration slots even without
    /// data. Older arms are eligible only once they have impressions: an old arm nobody has been shown
    /// was passed over by the ranker for a reason, and optimism about it would over-explore it.
    /// </summary>
    public TimeSpan NewItemWindow { get; init; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Zero-based positions of the returned list the policy may fill; null means every position
    /// (the classic bandit ranking). Other positions keep the score order.
    /// </summary>
    public IReadOnlyList<int>? SlotPositions { get; init; }

    /// <summary>Upper bound on explored positions per list.</summary>
    public int MaxExploredPositions { get; init; } = int.MaxValue;

    internal void Validate()
    {
        if (NewItemWindow < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(NewItemWindow), NewItemWindow, "The new-item window cannot be negative.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxExploredPositions, nameof(MaxExploredPositions));
        if (SlotPositions is not null)
        {
            foreach (var p in SlotPositions)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(p, nameof(SlotPositions));
            }
        }
    }

    /// <summary>New (first seen within the window) or already has evidence.</summary>
    public bool IsEligible(in ArmCandidate arm, DateTimeOffset now) =>
        arm.Impressions > 0 || now - arm.FirstSeen <= NewItemWindow;
}

/// <summary>
/// Re-ranks a candidate list, spending some positions on exploration. Implementations are
/// deterministic given the <see cref="Random"/> passed in and never read the clock.
/// </summary>
public interface IExplorationPolicy
{
    /// <param name="candidates">Candidates with scores and bandit evidence.</param>
    /// <param name="count">Length of the list to return (capped at the number of candidates).</param>
    /// <param name="now">Current time, for the new-item window.</param>
    /// <param name="random">Seeded source of every random choice.</param>
    ExplorationResult Rerank(IReadOnlyList<ArmCandidate> candidates, int count, DateTimeOffset now, Random random);
}
