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
public sealed record ExplorationResult(RankedArm[] Ranking, int[] ExploredPositions);

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
