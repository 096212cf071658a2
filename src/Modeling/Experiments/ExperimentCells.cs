using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Experiments;

/// <summary>
/// A cohort's bandit split from <see cref="From"/> on (UTC, a minute boundary), in the experiment's variant order.
/// Steps start on minute boundaries so every minute bucket of outcomes was served under one split, and its
/// exposures carry one known propensity per variant.
/// </summary>
public sealed record AllocationStep(DateTimeOffset From, double[] Probabilities);

/// <summary>Turns outcome rows into what the experiment statistics read.</summary>
public static class ExperimentCells
{
    /// <summary>
    /// Sums the rows of <paramref name="experiment"/> per (cohort at exposure, variant), every strategy together.
    /// Rows of other experiments and of variants the experiment does not have are skipped; with
    /// <paramref name="before"/>, a cohort's rows starting at or after its time are left out (the cohort returned
    /// to the baseline then).
    /// </summary>
    public static List<ExperimentCell> Fixed(ExperimentDefinition experiment, IEnumerable<OutcomeRow> rows, IReadOnlyDictionary<int, DateTimeOffset>? before = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(rows);
        var sums = new SortedDictionary<(int Cohort, int Variant), OutcomeCounts>();
        foreach (var row in rows)
        {
            if (!Belongs(experiment, row, before, out var variant))
            {
                continue;
            }

            var key = (row.Key.CohortId, variant);
            sums[key] = sums.GetValueOrDefault(key).Plus(row.Counts);
        }

        var cells = new List<ExperimentCell>(sums.Count);
        foreach (var ((cohort, variant), counts) in sums)
        {
            cells.Add(new ExperimentCell(cohort, experiment.Variants[variant].Name, counts));
        }

        return cells;
    }

    /// <summary>Unweighted binomial evidence per variant of one cohort, for <see cref="ThompsonAllocator.Allocate"/>.</summary>
    public static ArmEvidence[] Evidence(ExperimentDefinition experiment, int cohortId, IReadOnlyList<ExperimentCell> cells)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(cells);
        var trials = new long[experiment.Variants.Count];
        var successes = new long[experiment.Variants.Count];
        foreach (var cell in cells)
        {
            var v = experiment.IndexOf(cell.Variant);
            if (cell.CohortId != cohortId || v < 0)
            {
                continue;
            }

            var (n, s, _) = ExperimentAnalyzer.Sample(cell.Counts, experiment.PrimaryMetric);
            trials[v] += n;
            successes[v] += (long)s;
        }

        var arms = new ArmEvidence[trials.Length];
        for (var v = 0; v < arms.Length; v++)
        {
            arms[v] = new ArmEvidence(experiment.Variants[v].Name, trials[v], successes[v]);
        }

        return arms;
    }

    /// <summary>
    /// Inverse-propensity sums per cohort and variant (variant order) from minute rows: each exposure of variant v in a
    /// minute served under split p weighs 1/p(v), and its reward is the primary metric's success (clicked or converted
    /// exposure). A minute's rows aggregate exposures that shared one propensity, so the sums are exact.
    /// </summary>
    /// <param name="experiment">A bandit experiment with a binomial primary metric.</param>
    /// <param name="rows">Minute rows.</param>
    /// <param name="steps">Each cohort's splits, oldest first; a cohort or minute before its first step uses the configured shares.</param>
    /// <param name="before">A cohort's rows from this time on are left out (returned to baseline).</param>
    public static SortedDictionary<int, BanditArmCounts[]> Weighted(
        ExperimentDefinition experiment,
        IEnumerable<OutcomeRow> rows,
        IReadOnlyDictionary<int, IReadOnlyList<AllocationStep>> steps,
        IReadOnlyDictionary<int, DateTimeOffset>? before = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(steps);
        var k = experiment.Variants.Count;
        var shares = Shares(experiment);
        var sums = new SortedDictionary<int, WeightedRewardSums[]>();
        foreach (var row in rows)
        {
            if (!Belongs(experiment, row, before, out var variant))
            {
                continue;
            }

            var cohort = row.Key.CohortId;
            var split = steps.TryGetValue(cohort, out var history) ? At(history, row.Start) ?? shares : shares;
            var (n, s, _) = ExperimentAnalyzer.Sample(row.Counts, experiment.PrimaryMetric);
            if (n == 0)
            {
                continue;
            }

            var w = 1 / split[variant];
            var w2 = w * w;
            if (!sums.TryGetValue(cohort, out var arms))
            {
                arms = new WeightedRewardSums[k];
                sums[cohort] = arms;
            }

            // n exposures of weight w, s of them with reward 1 (r² = r for a binary reward).
            arms[variant] = arms[variant].Plus(new WeightedRewardSums(n, n * w, n * w2, s * w, s * w2, s * w2));
        }

        var result = new SortedDictionary<int, BanditArmCounts[]>();
        foreach (var (cohort, arms) in sums)
        {
            var counts = new BanditArmCounts[k];
            for (var v = 0; v < k; v++)
            {
                counts[v] = new BanditArmCounts(experiment.Variants[v].Name, arms[v]);
            }

            result[cohort] = counts;
        }

        return result;
    }

    /// <summary>The configured split as probabilities (variant order).</summary>
    public static double[] Shares(ExperimentDefinition experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var shares = new double[experiment.Variants.Count];
        for (var v = 0; v < shares.Length; v++)
        {
            shares[v] = experiment.Share(experiment.Variants[v].Name);
        }

        return shares;
    }

    /// <summary>The split in effect at <paramref name="time"/>: the latest step starting at or before it; null before the first.</summary>
    public static double[]? At(IReadOnlyList<AllocationStep> steps, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(steps);
        for (var i = steps.Count - 1; i >= 0; i--)
        {
            if (steps[i].From <= time)
            {
                return steps[i].Probabilities;
            }
        }

        return null;
    }

    /// <summary>The variant whose cumulative share covers <paramref name="bucket"/> ∈ [0, 1) (the same walk as <see cref="ExperimentAssignment"/>).</summary>
    public static int Pick(double[] probabilities, double bucket)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var cumulative = 0.0;
        for (var i = 0; i < probabilities.Length - 1; i++)
        {
            cumulative += probabilities[i];
            if (bucket < cumulative)
            {
                return i;
            }
        }

        return probabilities.Length - 1;
    }

    private static bool Belongs(ExperimentDefinition experiment, OutcomeRow row, IReadOnlyDictionary<int, DateTimeOffset>? before, out int variant)
    {
        variant = -1;
        if (!string.Equals(row.Key.Experiment, experiment.Id, StringComparison.Ordinal) || !experiment.IncludesCohort(row.Key.CohortId))
        {
            return false;
        }

        if (before is not null && before.TryGetValue(row.Key.CohortId, out var cut) && row.Start >= cut)
        {
            return false;
        }

        variant = experiment.IndexOf(row.Key.Variant);
        return variant >= 0;
    }
}
