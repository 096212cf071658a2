using System.Buffers;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// Exploration: the first count items of the diversified order, with the cohort's policy (ε-greedy, UCB1, Thompson
/// sampling) filling its slots — the last positions — from the cohort's bandit evidence, reproducibly for the
/// request's seed. <c>explore=false</c> or a policy without slots keeps the order as it is. An ε-greedy policy also
/// reports each slot's logged decision (propensity and context), which the user's state keeps for off-policy evaluation.
/// </summary>
internal static class ExploreStage
{
    public static (ServingCandidate Candidate, bool Explored)[] Pick(ServingRequest request, List<ServingCandidate> ordered, int count, ServingPolicy policy) =>
        Pick(request, ordered, count, policy, out _);

    public static (ServingCandidate Candidate, bool Explored)[] Pick(
        ServingRequest request, List<ServingCandidate> ordered, int count, ServingPolicy policy, out SlotDecision[]? decisions)
    {
        decisions = null;
        var picks = new (ServingCandidate Candidate, bool Explored)[Math.Min(count, ordered.Count)];
        var explorer = request.Explore ? ExplorerFor(policy, picks.Length) : null;
        if (explorer is null)
        {
            for (var p = 0; p < picks.Length; p++)
            {
                picks[p] = (ordered[p], false);
            }

            return picks;
        }

        // A pooled buffer: the arms are read during Rerank only (the result names arms by index and id).
        var armBuffer = ArrayPool<ArmCandidate>.Shared.Rent(ordered.Count);
        try
        {
            var armCount = ordered.Count;
            for (var p = 0; p < armCount; p++)
            {
                var c = ordered[p];
                var evidence = request.Arms?.Invoke(c.Id);
                armBuffer[p] = evidence is { } a
                    ? new ArmCandidate(c.Id, armCount - p, a.Impressions, a.Rewards, a.FirstSeen)
                    : new ArmCandidate(c.Id, armCount - p, 0, 0, c.Item < 0 ? request.Now : DateTimeOffset.MinValue);
            }

            var arms = new ArraySegment<ArmCandidate>(armBuffer, 0, armCount);
            var result = explorer.Rerank(arms, picks.Length, request.Now, RequestRandom.For(request.Seed));
            var ranking = result.Ranking;
            decisions = result.Decisions;
            for (var p = 0; p < picks.Length; p++)
            {
                picks[p] = (ordered[ranking[p].CandidateIndex], ranking[p].Explored);
            }
        }
        finally
        {
            ArrayPool<ArmCandidate>.Shared.Return(armBuffer, clearArray: true);
        }

        return picks;
    }

    /// <summary>
    /// <see cref="ServingPolicy.CreateExplorer"/>, remembered per thread for the last few policies and list lengths:
    /// an explorer is immutable (its options and parameters; every random choice comes from the request's seeded
    /// generator), so one built for an equal policy and length re-ranks exactly as a new one would. Building one per
    /// request was about 110 bytes (the policy, its options and slot positions).
    /// </summary>
    internal static IExplorationPolicy? ExplorerFor(ServingPolicy policy, int length)
    {
        var cache = _explorers ??= new (ServingPolicy?, int, IExplorationPolicy?)[ExplorerCacheSize];
        foreach (var (cached, cachedLength, explorer) in cache)
        {
            if (cachedLength == length && cached is not null && cached.Equals(policy))
            {
                return explorer;
            }
        }

        var made = policy.CreateExplorer(length);
        cache[_nextExplorer] = (policy, length, made);
        _nextExplorer = (_nextExplorer + 1) % ExplorerCacheSize;
        return made;
    }

    /// <summary>Enough for every cohort's policy of a typical model (and an experiment's variants) at one list length.</summary>
    private const int ExplorerCacheSize = 16;

    [ThreadStatic]
    private static (ServingPolicy? Policy, int Length, IExplorationPolicy? Explorer)[]? _explorers;

    [ThreadStatic]
    private static int _nextExplorer;
}
