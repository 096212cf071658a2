using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Experiments;

/// <summary>
/// Reads a fixed-split experiment per cohort and pooled. Decisions use the always-valid mixture SPRT
/// (<see cref="AlwaysValidTest"/>) with Holm's correction across cohorts × variants, so the report may be read
/// after every flush; fixed-horizon p-values and intervals are reported alongside for reading, not deciding.
/// </summary>
public static class ExperimentAnalyzer
{
    /// <param name="experiment">The definition (validated here).</param>
    /// <param name="cells">Counters per (cohort, variant); cohorts outside the experiment are ignored.</param>
    /// <param name="previous">The previous look's report, whose always-valid p-values the new ones never exceed.</param>
    /// <param name="random">Required with three or more variants, for P(best) by Monte Carlo; unused with two.</param>
    public static ExperimentReport Analyze(
        ExperimentDefinition experiment,
        IReadOnlyList<ExperimentCell> cells,
        ExperimentReport? previous = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(cells);
        experiment.Validate();
        if (experiment.Allocation != AllocationMode.FixedSplit)
        {
            // Unweighted arm rates are biased under adaptive allocation and the SRM check has no fixed split to test.
            throw new ArgumentException(
                $"Experiment '{experiment.Id}' uses {experiment.Allocation}; read it with {nameof(ThompsonAllocator)}.{nameof(ThompsonAllocator.Estimate)}.",
                nameof(experiment));
        }

        var k = experiment.Variants.Count;

        // Sum the rows per (cohort, variant); cohorts in ascending order so reports are stable.
        var byCohort = new SortedDictionary<int, (OutcomeCounts[] Counts, long[] Units, bool[] HasUnits)>();
        foreach (var cell in cells)
        {
            var v = experiment.IndexOf(cell.Variant);
            if (v < 0)
            {
                throw new ArgumentException($"Variant '{cell.Variant}' is not in experiment '{experiment.Id}'.", nameof(cells));
            }

            if (!experiment.IncludesCohort(cell.CohortId))
            {
                continue;
            }

            if (!byCohort.TryGetValue(cell.CohortId, out var slot))
            {
                slot = (new OutcomeCounts[k], new long[k], new bool[k]);
                byCohort[cell.CohortId] = slot;
            }

            slot.Counts[v] = slot.Counts[v].Plus(cell.Counts);
            if (cell.Units is { } units)
            {
                slot.Units[v] += units;
                slot.HasUnits[v] = true;
            }
        }

        var previousP = IndexPrevious(previous);
        var strata = new List<Stratum>(byCohort.Count);
        var pooledCounts = new OutcomeCounts[k];
        var pooledUnits = new long[k];
        var pooledHasUnits = new bool[k];
        Array.Fill(pooledHasUnits, true);
        foreach (var (cohort, slot) in byCohort)
        {
            strata.Add(BuildStratum(experiment, cohort, slot.Counts, slot.Units, slot.HasUnits, previousP, random));
            for (var v = 0; v < k; v++)
            {
                pooledCounts[v] = pooledCounts[v].Plus(slot.Counts[v]);
                pooledUnits[v] += slot.Units[v];
                pooledHasUnits[v] &= slot.HasUnits[v];
            }
        }

        // Holm over every (cohort, variant) primary comparison's always-valid p-value: with p-values valid at any
        // stopping time, the step-down's family-wise guarantee holds at any look too.
        var family = new List<(int Stratum, int Comparison)>();
        for (var i = 0; i < strata.Count; i++)
        {
            for (var c = 0; c < strata[i].Primary.Length; c++)
            {
                family.Add((i, c));
            }
        }

        var raw = new double[family.Count];
        for (var f = 0; f < family.Count; f++)
        {
            raw[f] = strata[family[f].Stratum].Primary[family[f].Comparison].Sequential.PValue;
        }

        var adjusted = MultipleTesting.HolmBonferroni(raw);
        for (var f = 0; f < family.Count; f++)
        {
            var s = strata[family[f].Stratum];
            var c = s.Primary[family[f].Comparison];
            s.Primary[family[f].Comparison] = c with
            {
                AdjustedPValue = adjusted[f],
                Decision = Decide(c, adjusted[f], experiment.Alpha, experiment.MinimumSampleSize, s.SampleRatio),
            };
        }

        var actions = new List<ReturnToBaseline>();
        var cohortResults = new StratumResult[strata.Count];
        for (var i = 0; i < strata.Count; i++)
        {
            var s = strata[i];
            for (var g = 0; g < s.Guardrails.Length; g++)
            {
                var c = s.Guardrails[g];
                var decision = Decide(c, c.Sequential.PValue, experiment.GuardrailAlpha, experiment.MinimumSampleSize, s.SampleRatio);
                s.Guardrails[g] = c with { AdjustedPValue = c.Sequential.PValue, Decision = decision };
                if (decision == ExperimentDecision.VariantWorse)
                {
                    actions.Add(new ReturnToBaseline(s.CohortId, c.Variant, s.Guardrails[g]));
                }
            }

            cohortResults[i] = new StratumResult(s.CohortId, s.Arms, s.Primary, s.Guardrails, s.SampleRatio);
        }

        var pooled = BuildPooled(experiment, strata, pooledCounts, pooledUnits, pooledHasUnits, previousP, random);
        return new ExperimentReport(experiment.Id, cohortResults, pooled, actions);
    }

    /// <summary>
    /// The metric's sample: units, Σx and Σx² (a binary metric has Σx² = Σx). Successes are clamped to [0, units]:
    /// an attribution can land in a later flush than its exposure, so a partial window may briefly hold more
    /// clicked exposures than exposures, and one such row must not make the whole report fail.
    /// </summary>
    public static (long Units, double Sum, double SumSquares) Sample(in OutcomeCounts counts, ExperimentMetric metric)
    {
        switch (metric)
        {
            case ExperimentMetric.ClickThroughRate:
                var clicked = Math.Clamp(counts.ClickedExposures, 0, Math.Max(0, counts.Exposures));
                return (Math.Max(0, counts.Exposures), clicked, clicked);
            case ExperimentMetric.ConversionRate:
                var converted = Math.Clamp(counts.ConvertedExposures, 0, Math.Max(0, counts.Exposures));
                return (Math.Max(0, counts.Exposures), converted, converted);
            case ExperimentMetric.RevenuePerImpression:
                return (Math.Max(0, counts.Impressions), counts.Revenue, counts.RevenueSquares);
            default:
                throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric.");
        }
    }

    private static bool IsBinomial(ExperimentMetric metric) => metric != ExperimentMetric.RevenuePerImpression;

    private static ExperimentDecision Decide(MetricComparison c, double p, double alpha, long minimum, SampleRatioMismatchResult? srm)
    {
        if (srm is { IsMismatch: true })
        {
            return ExperimentDecision.AllocationBroken;
        }

        if (c.BaselineUnits < minimum || c.VariantUnits < minimum)
        {
            return ExperimentDecision.CollectMoreData;
        }

        if (p <= alpha)
        {
            return c.Difference > 0 ? ExperimentDecision.VariantBetter : ExperimentDecision.VariantWorse;
        }

        return ExperimentDecision.KeepRunning;
    }

    private static Stratum BuildStratum(
        ExperimentDefinition experiment,
        int cohort,
        OutcomeCounts[] counts,
        long[] units,
        bool[] hasUnits,
        Dictionary<(int?, string, ExperimentMetric), double> previousP,
        Random? random)
    {
        var k = counts.Length;
        var arms = Arms(experiment, counts, random);
        var primary = new MetricComparison[k - 1];
        for (var v = 1; v < k; v++)
        {
            primary[v - 1] = Compare(experiment, cohort, v, counts, experiment.PrimaryMetric, previousP);
        }

        var guardrails = new MetricComparison[(k - 1) * experiment.Guardrails.Count];
        var g = 0;
        foreach (var metric in experiment.Guardrails)
        {
            for (var v = 1; v < k; v++)
            {
                guardrails[g++] = Compare(experiment, cohort, v, counts, metric, previousP);
            }
        }

        return new Stratum(cohort, arms, primary, guardrails, SampleRatio(experiment, counts, units, hasUnits));
    }

    private static StratumResult BuildPooled(
        ExperimentDefinition experiment,
        List<Stratum> strata,
        OutcomeCounts[] counts,
        long[] units,
        bool[] hasUnits,
        Dictionary<(int?, string, ExperimentMetric), double> previousP,
        Random? random)
    {
        var k = counts.Length;
        var metric = experiment.PrimaryMetric;
        var primary = new MetricComparison[k - 1];
        var estimates = new StratumEstimate[strata.Count];
        for (var v = 1; v < k; v++)
        {
            var n = 0;
            long baseUnits = 0;
            long varUnits = 0;
            foreach (var s in strata)
            {
                var c = s.Primary[v - 1];
                baseUnits += c.BaselineUnits;
                varUnits += c.VariantUnits;
                if (c.BaselineUnits >= 2 && c.VariantUnits >= 2)
                {
                    estimates[n++] = new StratumEstimate(
                        c.BaselineValue,
                        c.Difference,
                        c.Sequential.Variance,
                        StratifiedDifference.MantelHaenszelWeight(c.BaselineUnits, c.VariantUnits));
                }
            }

            var pooled = StratifiedDifference.Combine(estimates.AsSpan(0, n));
            var name = experiment.Variants[v].Name;
            var (b, bs, _) = Sample(counts[0], metric);
            var (t, ts, _) = Sample(counts[v], metric);
            var pooledValue = b + t > 0 ? (bs + ts) / (b + t) : 0;
            var sequential = AlwaysValidTest.Run(
                pooled.Difference,
                pooled.Variance,
                experiment.MinimumDetectableLift * pooledValue,
                experiment.Alpha,
                PreviousP(previousP, null, name, metric));
            if (baseUnits < experiment.MinimumSampleSize || varUnits < experiment.MinimumSampleSize)
            {
                sequential = sequential with { PValue = PreviousP(previousP, null, name, metric) };
            }

            var comparison = FromEstimate(
                name,
                metric,
                baseUnits,
                varUnits,
                pooled.BaselineMean,
                pooled.Difference,
                pooled.Variance,
                0,
                pooled.Variance > 0 ? NormalDistribution.TwoSidedPValue(pooled.Difference / Math.Sqrt(pooled.Variance)) : 1,
                NormalDistribution.InverseCdf(0.975) * Math.Sqrt(pooled.Variance),
                sequential);
            var srm = SampleRatio(experiment, counts, units, hasUnits);
            primary[v - 1] = comparison with
            {
                AdjustedPValue = sequential.PValue,
                Decision = Decide(comparison, sequential.PValue, experiment.Alpha, experiment.MinimumSampleSize, srm),
            };
        }

        return new StratumResult(null, Arms(experiment, counts, random), primary, [], SampleRatio(experiment, counts, units, hasUnits));
    }

    private static MetricComparison Compare(
        ExperimentDefinition experiment,
        int cohort,
        int v,
        OutcomeCounts[] counts,
        ExperimentMetric metric,
        Dictionary<(int?, string, ExperimentMetric), double> previousP)
    {
        var name = experiment.Variants[v].Name;
        var (nA, sumA, sqA) = Sample(counts[0], metric);
        var (nB, sumB, sqB) = Sample(counts[v], metric);
        var alpha = metric == experiment.PrimaryMetric ? experiment.Alpha : experiment.GuardrailAlpha;
        var previousValue = PreviousP(previousP, cohort, name, metric);
        if (nA < 2 || nB < 2)
        {
            var none = AlwaysValidTest.Run(0, 0, 0, alpha, previousValue);
            return new MetricComparison(name, metric, nA, nB, nA > 0 ? sumA / nA : 0, nB > 0 ? sumB / nB : 0, 0, 0, 0, null, null, null, 1, none, previousValue, ExperimentDecision.CollectMoreData);
        }

        double meanA;
        double varA;
        double meanB;
        double varB;
        double pValue;
        double halfWidth;
        if (IsBinomial(metric))
        {
            var z = TwoProportionZTest.Run(nA, (long)sumA, nB, (long)sumB);
            meanA = z.RateA;
            meanB = z.RateB;
            varA = meanA * (1 - meanA) / nA;
            varB = meanB * (1 - meanB) / nB;
            pValue = z.PValue;
            halfWidth = 0.5 * (z.ConfidenceUpper - z.ConfidenceLower);
        }
        else
        {
            var w = WelchTest.FromSums(nA, sumA, sqA, nB, sumB, sqB);
            (meanA, varA) = WelchTest.MeanAndVarianceOfMean(nA, sumA, sqA);
            (meanB, varB) = WelchTest.MeanAndVarianceOfMean(nB, sumB, sqB);
            pValue = w.PValue;
            halfWidth = 0.5 * (w.ConfidenceUpper - w.ConfidenceLower);
        }

        var difference = meanB - meanA;
        var pooledValue = (sumA + sumB) / (nA + nB);
        var sequential = AlwaysValidTest.Run(difference, varA + varB, experiment.MinimumDetectableLift * pooledValue, alpha, previousValue);
        if (nA < experiment.MinimumSampleSize || nB < experiment.MinimumSampleSize)
        {
            // Looks start at the minimum sample: below it the normal approximation is poor, so the running
            // p-value is not updated (skipping looks keeps Ville's bound).
            sequential = sequential with { PValue = previousValue };
        }

        return FromEstimate(name, metric, nA, nB, meanA, difference, varA + varB, varA, pValue, halfWidth, sequential);
    }

    private static MetricComparison FromEstimate(
        string name,
        ExperimentMetric metric,
        long baselineUnits,
        long variantUnits,
        double baseline,
        double difference,
        double variance,
        double baselineVariance,
        double pValue,
        double halfWidth,
        SequentialTestResult sequential)
    {
        double? lift = null;
        double? liftLower = null;
        double? liftUpper = null;
        if (baseline > 0)
        {
            // Delta method for (b + d)/b − 1 = d/b: Var ≈ Var(d)/b² + d² Var(b)/b⁴ (the baseline's own noise widens it).
            lift = difference / baseline;
            var varianceOfLift = (variance / (baseline * baseline)) + (difference * difference * baselineVariance / Math.Pow(baseline, 4));
            var liftHalf = NormalDistribution.InverseCdf(0.975) * Math.Sqrt(varianceOfLift);
            liftLower = lift - liftHalf;
            liftUpper = lift + liftHalf;
        }

        return new MetricComparison(
            name,
            metric,
            baselineUnits,
            variantUnits,
            baseline,
            baseline + difference,
            difference,
            difference - halfWidth,
            difference + halfWidth,
            lift,
            liftLower,
            liftUpper,
            pValue,
            sequential,
            sequential.PValue,
            ExperimentDecision.KeepRunning);
    }

    private static ArmSummary[] Arms(ExperimentDefinition experiment, OutcomeCounts[] counts, Random? random)
    {
        var metric = experiment.PrimaryMetric;
        var k = counts.Length;
        double[]? best = null;
        if (IsBinomial(metric))
        {
            var posteriors = new BetaPosterior[k];
            for (var v = 0; v < k; v++)
            {
                var (n, s, _) = Sample(counts[v], metric);
                posteriors[v] = BetaPosterior.FromCounts(n, (long)s);
            }

            best = BayesianComparison.ProbabilityOfBeingBest(posteriors, random);
        }

        var arms = new ArmSummary[k];
        for (var v = 0; v < k; v++)
        {
            var (n, s, _) = Sample(counts[v], metric);
            arms[v] = new ArmSummary(experiment.Variants[v].Name, counts[v], n > 0 ? s / n : 0, best?[v]);
        }

        return arms;
    }

    private static SampleRatioMismatchResult? SampleRatio(ExperimentDefinition experiment, OutcomeCounts[] counts, long[] units, bool[] hasUnits)
    {
        var useUnits = Array.TrueForAll(hasUnits, h => h);
        var observed = new long[counts.Length];
        var weights = new double[counts.Length];
        var total = 0L;
        for (var v = 0; v < counts.Length; v++)
        {
            observed[v] = useUnits ? units[v] : counts[v].Exposures;
            weights[v] = experiment.Variants[v].Weight;
            total += observed[v];
        }

        return total > 0 ? SampleRatioMismatch.Test(observed, weights) : null;
    }

    private static Dictionary<(int?, string, ExperimentMetric), double> IndexPrevious(ExperimentReport? previous)
    {
        var index = new Dictionary<(int?, string, ExperimentMetric), double>();
        if (previous is null)
        {
            return index;
        }

        foreach (var s in previous.Cohorts)
        {
            Add(index, s);
        }

        Add(index, previous.Pooled);
        return index;

        static void Add(Dictionary<(int?, string, ExperimentMetric), double> index, StratumResult s)
        {
            foreach (var c in s.Primary)
            {
                index[(s.CohortId, c.Variant, c.Metric)] = c.Sequential.PValue;
            }

            foreach (var c in s.Guardrails)
            {
                index[(s.CohortId, c.Variant, c.Metric)] = c.Sequential.PValue;
            }
        }
    }

    private static double PreviousP(Dictionary<(int?, string, ExperimentMetric), double> index, int? cohort, string variant, ExperimentMetric metric) =>
        index.TryGetValue((cohort, variant, metric), out var p) ? p : 1;

    private sealed record Stratum(
        int CohortId,
        ArmSummary[] Arms,
        MetricComparison[] Primary,
        MetricComparison[] Guardrails,
        SampleRatioMismatchResult? SampleRatio);
}
