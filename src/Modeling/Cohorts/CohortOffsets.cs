using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Cohorts;

/// <summary>How a cohort is served: the global blend, or one adaptation form adopted on out-of-fold evidence.</summary>
public enum CohortAdaptationForm
{
    /// <summary>The global blend (nothing adopted).</summary>
    Global = 0,

    /// <summary>The cohort's own blend weights and cohort-popularity weight (coordinate search).</summary>
    Weights = 1,

    /// <summary>An additive per-item offset: the cohort's log lift over global, shrunk by empirical Bayes.</summary>
    ItemBias = 2,

    /// <summary>An additive per-item offset: the cohort's time-decayed popularity, shrunk toward the global one.</summary>
    DecayedPopularity = 3,
}

/// <summary>One form's out-of-fold evidence for a cohort: mean per-user NDCG gain over global ± its standard error, and the chosen weight.</summary>
public sealed record CohortFormEvidence(CohortAdaptationForm Form, double Gain, double StandardError, float Weight)
{
    /// <summary>Gain in standard errors (+∞ for a positive gain with no spread, 0 for no gain).</summary>
    public double Z => StandardError > 0 ? Gain / StandardError : Gain > 0 ? double.PositiveInfinity : 0;
}

/// <summary>
/// Per-cohort item offset vectors (one float per item per group) for the offset forms, computed from the training
/// interactions of the cohort's users. Both shrink a cohort toward the global model by empirical Bayes in a
/// Gamma–Poisson model: the count c of an item in cohort g is Poisson with mean θ·e, e = the count expected from the
/// item's share of all groups' interactions, θ ~ Gamma(τ, τ) (mean 1). The posterior mean of θ is (c + τ) / (e + τ),
/// so an item seen a few times moves little and a cohort without a real preference (τ → ∞) gets no offset. τ is
/// estimated per cohort from its own over-dispersion by the method of moments (Var c = e + e²/τ), never set by hand:
/// a data set where cohorts differ gets a small τ, one where they do not gets a large one.
/// </summary>
public static class CohortOffsets
{
    /// <summary>
    /// Item bias: ln((c + τ) / (e + τ)) per group and item over the users' distinct items (popularity counts users).
    /// Zeros for a group without over-dispersion.
    /// </summary>
    public static float[][] ItemBias(TrainingData data, out double[] pseudoCounts)
    {
        ArgumentNullException.ThrowIfNull(data);
        var items = data.ItemCount;
        var groups = data.GroupCount;
        var counts = new double[groups * items];
        var userItems = data.UserItems;
        var userGroups = data.UserGroups;
        for (var u = 0; u < data.UserCount; u++)
        {
            var g = userGroups[u];
            if (g < 0)
            {
                continue;
            }

            foreach (var i in userItems.RowColumns(u))
            {
                counts[(g * items) + i]++;
            }
        }

        var expected = Expected(counts, groups, items);
        pseudoCounts = new double[groups];
        var result = new float[groups][];
        for (var g = 0; g < groups; g++)
        {
            var c = counts.AsSpan(g * items, items);
            var e = expected.AsSpan(g * items, items);
            var tau = EstimatePseudoCount(c, e);
            pseudoCounts[g] = tau;
            var offsets = new float[items];
            if (double.IsFinite(tau))
            {
                for (var i = 0; i < items; i++)
                {
                    offsets[i] = (float)Math.Log((c[i] + tau) / (e[i] + tau));
                }
            }

            result[g] = offsets;
        }

        return result;
    }

    /// <summary>
    /// Decayed popularity: every (user, item) pair of a cohort weighs 2^(−age / half-life) at its latest event, age
    /// measured from the newest training event; the cohort's decayed share of an item is the global decayed share times
    /// the shrunk ratio (d + τ) / (e + τ), standardized per group like every other signal. Without
    /// <paramref name="halfLife"/> the half-life is the median event age of the training data, so a seven-month data set
    /// and a thirty-day log each get their own.
    /// </summary>
    public static float[][] DecayedPopularity(TrainingData data, TimeSpan? halfLife, out double[] pseudoCounts)
    {
        ArgumentNullException.ThrowIfNull(data);
        var items = data.ItemCount;
        var groups = data.GroupCount;
        var interactions = data.Interactions;
        var timestamps = interactions.Timestamps;
        var newest = long.MinValue;
        foreach (var t in timestamps)
        {
            newest = Math.Max(newest, t);
        }

        var h = halfLife is { } given && given > TimeSpan.Zero ? given.TotalSeconds : MedianAge(timestamps, newest);
        var decayed = new double[groups * items];
        var userGroups = data.UserGroups;
        var (start, order) = interactions.RowsByUser();
        var latest = new long[items];
        var seenBy = new int[items];
        var touched = new List<int>();
        var itemColumn = interactions.Items;
        for (var u = 0; u < data.UserCount; u++)
        {
            var g = userGroups[u];
            if (g < 0)
            {
                continue;
            }

            touched.Clear();
            for (var x = start[u]; x < start[u + 1]; x++)
            {
                var r = order[x];
                var i = itemColumn[r];
                if (seenBy[i] != u + 1)
                {
                    seenBy[i] = u + 1;
                    latest[i] = timestamps[r];
                    touched.Add(i);
                }
                else
                {
                    latest[i] = Math.Max(latest[i], timestamps[r]);
                }
            }

            foreach (var i in touched)
            {
                decayed[(g * items) + i] += Math.Pow(2, -(newest - latest[i]) / h);
            }
        }

        var expected = Expected(decayed, groups, items);
        var total = 0.0;
        var share = new double[items];
        for (var x = 0; x < decayed.Length; x++)
        {
            share[x % items] += decayed[x];
            total += decayed[x];
        }

        pseudoCounts = new double[groups];
        var result = new float[groups][];
        for (var g = 0; g < groups; g++)
        {
            var d = decayed.AsSpan(g * items, items);
            var e = expected.AsSpan(g * items, items);
            var tau = EstimatePseudoCount(d, e);
            pseudoCounts[g] = tau;
            var vector = new float[items];
            for (var i = 0; i < items; i++)
            {
                var global = total > 0 ? share[i] / total : 0;
                vector[i] = (float)(double.IsFinite(tau) ? global * (d[i] + tau) / (e[i] + tau) : global);
            }

            ScoreScaling.Standardize(vector);
            result[g] = vector;
        }

        return result;
    }

    /// <summary>
    /// Method-of-moments Gamma–Poisson pseudo-count: 1/τ = Σ((c − e)² − e) / Σe²; +∞ when the counts are no more
    /// dispersed than Poisson (no cohort effect to learn).
    /// </summary>
    public static double EstimatePseudoCount(ReadOnlySpan<double> counts, ReadOnlySpan<double> expected)
    {
        var excess = 0.0;
        var scale = 0.0;
        for (var i = 0; i < counts.Length; i++)
        {
            var e = expected[i];
            var d = counts[i] - e;
            excess += (d * d) - e;
            scale += e * e;
        }

        return excess > 0 && scale > 0 ? scale / excess : double.PositiveInfinity;
    }

    /// <summary>e[g, i] = (group g's total) × (item i's share of every group's total).</summary>
    private static double[] Expected(double[] counts, int groups, int items)
    {
        var itemTotals = new double[items];
        var groupTotals = new double[groups];
        var total = 0.0;
        for (var g = 0; g < groups; g++)
        {
            for (var i = 0; i < items; i++)
            {
                var c = counts[(g * items) + i];
                itemTotals[i] += c;
                groupTotals[g] += c;
                total += c;
            }
        }

        var expected = new double[counts.Length];
        if (total <= 0)
        {
            return expected;
        }

        for (var g = 0; g < groups; g++)
        {
            for (var i = 0; i < items; i++)
            {
                expected[(g * items) + i] = groupTotals[g] * itemTotals[i] / total;
            }
        }

        return expected;
    }

    /// <summary>The median age over at most 100,001 evenly strided events (a 20-million-event log needs no full sort for a half-life).</summary>
    private static double MedianAge(ReadOnlySpan<long> timestamps, long newest)
    {
        if (timestamps.IsEmpty)
        {
            return 1;
        }

        var stride = Math.Max(1, timestamps.Length / 100_000);
        var ages = new long[((timestamps.Length - 1) / stride) + 1];
        for (var x = 0; x < ages.Length; x++)
        {
            ages[x] = newest - timestamps[x * stride];
        }

        Array.Sort(ages);
        return Math.Max(1, ages[ages.Length / 2]);
    }
}
