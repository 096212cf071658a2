namespace Cohortly.Modeling.Training;

/// <summary>
/// One comparable holdout user: NDCG@K of the candidate and of the active model on the same held-out items, and the
/// candidate cohort the user is in (the cohort whose adapted weights the candidate would serve them with).
/// </summary>
/// <param name="CandidateRanker">The candidate served this user through its learned ranker (else its blend).</param>
/// <param name="ActiveRanker">The active version served this user through its learned ranker (else its blend).</param>
public readonly record struct PairedScore(int CohortId, double Candidate, double Active, bool CandidateRanker = false, bool ActiveRanker = false);

/// <summary>The comparison within one cohort of the candidate; <see cref="Gated"/> is false when too few users were comparable.</summary>
public sealed record CohortComparison(int CohortId, int Users, double CandidateNdcg, double ActiveNdcg, bool Gated, bool Passed);

/// <summary>
/// Whether a candidate version may replace the active one, and why. <see cref="Users"/> is the number of comparable
/// holdout users (0 when there was nothing to compare with).
/// </summary>
public sealed record PromotionDecision(
    bool Promote,
    string Reason,
    int Users,
    double CandidateNdcg,
    double ActiveNdcg,
    IReadOnlyList<CohortComparison> Cohorts)
{
    /// <summary>No active version: the first model is promoted.</summary>
    public static PromotionDecision NoActive { get; } = new(true, "no active version to compare with", 0, 0, 0, []);

    /// <summary>The active version could not be read; it serves nothing a comparison could protect.</summary>
    public static PromotionDecision ActiveUnavailable(string why) => new(true, $"the active version could not be compared ({why})", 0, 0, 0, []);
}

/// <summary>
/// The promotion gate: the candidate must not be worse than the active model on the same holdout users, overall and
/// within every cohort it adapts (its own weights or its learned ranker), by more than a relative tolerance of NDCG@K.
/// Each user's score is what each version would serve them (ranker where it serves, blend elsewhere), and a failure
/// says which each version served. A comparison rests only on evidence:
/// with fewer than <c>minUsers</c> comparable users overall the candidate is promoted (and the reason says the
/// comparison was not possible), and a cohort with fewer than <c>minUsers</c> comparable users is reported but not
/// gated. Pure; the training pipeline gathers the paired scores.
/// </summary>
public static class PromotionGate
{
    public static PromotionDecision Decide(IReadOnlyList<PairedScore> users, IReadOnlyCollection<int> adaptedCohorts, double tolerance, int minUsers)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(adaptedCohorts);
        if (!double.IsFinite(tolerance) || tolerance < 0 || tolerance > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance is a relative drop between 0 and 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minUsers);

        double candidate = 0, active = 0;
        int candidateRanked = 0, activeRanked = 0;
        var byCohort = new SortedDictionary<int, (int N, double Candidate, double Active, int CandidateRanked, int ActiveRanked)>();
        foreach (var score in users)
        {
            candidate += score.Candidate;
            active += score.Active;
            var c = score.CandidateRanker ? 1 : 0;
            var a = score.ActiveRanker ? 1 : 0;
            candidateRanked += c;
            activeRanked += a;
            byCohort.TryGetValue(score.CohortId, out var sums);
            byCohort[score.CohortId] = (sums.N + 1, sums.Candidate + score.Candidate, sums.Active + score.Active, sums.CandidateRanked + c, sums.ActiveRanked + a);
        }

        var n = users.Count;
        var meanCandidate = n == 0 ? 0 : candidate / n;
        var meanActive = n == 0 ? 0 : active / n;
        var cohorts = new List<CohortComparison>(byCohort.Count);
        var failures = new List<string>();
        foreach (var (id, sums) in byCohort)
        {
            var c = sums.Candidate / sums.N;
            var a = sums.Active / sums.N;
            var gated = sums.N >= minUsers && adaptedCohorts.Contains(id);
            var passed = !gated || NotWorse(c, a, tolerance);
            cohorts.Add(new CohortComparison(id, sums.N, c, a, gated, passed));
            if (!passed)
            {
                failures.Add(FormattableString.Invariant($"cohort {id}{Served(sums.CandidateRanked, sums.ActiveRanked, sums.N)}: NDCG@10 {c:F4} vs active {a:F4} over {sums.N} users ({Drop(c, a):P1} drop)"));
            }
        }

        if (n < minUsers)
        {
            return new PromotionDecision(true, FormattableString.Invariant($"only {n} comparable holdout users (fewer than {minUsers}): promoted without a comparison"), n, meanCandidate, meanActive, cohorts);
        }

        if (!NotWorse(meanCandidate, meanActive, tolerance))
        {
            failures.Insert(0, FormattableString.Invariant($"overall{Served(candidateRanked, activeRanked, n)}: NDCG@10 {meanCandidate:F4} vs active {meanActive:F4} over {n} users ({Drop(meanCandidate, meanActive):P1} drop)"));
        }

        if (failures.Count > 0)
        {
            return new PromotionDecision(false, FormattableString.Invariant($"worse than the active version beyond the {tolerance:P1} tolerance: {string.Join("; ", failures)}"), n, meanCandidate, meanActive, cohorts);
        }

        return new PromotionDecision(true, FormattableString.Invariant($"not worse than the active version: NDCG@10 {meanCandidate:F4} vs {meanActive:F4} over {n} users, every adapted cohort within the {tolerance:P1} tolerance"), n, meanCandidate, meanActive, cohorts);
    }

    /// <summary>Which model each version served these users with, when a learned ranker served any of them (empty otherwise).</summary>
    private static string Served(int candidateRanked, int activeRanked, int n) =>
        candidateRanked == 0 && activeRanked == 0 ? string.Empty : $" (candidate served by {Model(candidateRanked, n)}, active by {Model(activeRanked, n)})";

    private static string Model(int ranked, int n) =>
        ranked == 0 ? "its blend" : ranked == n ? "its ranker" : FormattableString.Invariant($"its ranker for {ranked} of {n} users, its blend for the rest");

    /// <summary>Relative: the candidate may lose at most <paramref name="tolerance"/> of the active value (a tiny epsilon absorbs float noise).</summary>
    private static bool NotWorse(double candidate, double active, double tolerance) => candidate >= (active * (1 - tolerance)) - 1e-12;

    private static double Drop(double candidate, double active) => active <= 0 ? 0 : (active - candidate) / active;
}
