namespace Cohortly.Modeling.Statistics;

/// <summary>Per-variant totals of an experiment.</summary>
/// <param name="Variant">Variant name.</param>
/// <param name="Impressions">Trials (recommendation impressions).</param>
/// <param name="Conversions">Successes among the impressions.</param>
/// <param name="Units">Assigned units (users), when known; the sample-ratio check prefers them over impressions.</param>
public sealed record VariantCounts(string Variant, long Impressions, long Conversions, long? Units = null);

/// <summary>Settings for <see cref="ExperimentAnalysis.Summarize"/>.</summary>
public sealed record ExperimentAnalysisOptions
{
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Family-wise significance level for the Holm-adjusted p-values.</summary>
    public double Alpha { get; init; } = 0.05;

    public double PriorAlpha { get; init; } = 1;

    public double PriorBeta { get; init; } = 1;

    public double SampleRatioThreshold { get; init; } = SampleRatioMismatch.DefaultThreshold;
}

/// <summary>One treatment compared with the control.</summary>
/// <param name="Variant">Treatment name.</param>
/// <param name="Impressions">Treatment impressions.</param>
/// <param name="Conversions">Treatment conversions.</param>
/// <param name="Test">Frequentist comparison with control; null while either side has no impressions.</param>
/// <param name="AdjustedPValue">Holm-adjusted p-value across all treatments (1 without a test).</param>
/// <param name="Significant">Adjusted p-value ≤ the family-wise α.</param>
/// <param name="ProbabilityBeatsControl">Posterior P(rate_treatment &gt; rate_control).</param>
/// <param name="Posterior">Treatment's Beta posterior.</param>
public sealed record VariantComparison(
    string Variant,
    long Impressions,
    long Conversions,
    TwoProportionTestResult? Test,
    double AdjustedPValue,
    bool Significant,
    double ProbabilityBeatsControl,
    BetaPosterior Posterior);

/// <summary>Everything an analyst needs to read an experiment at a glance.</summary>
public sealed record ExperimentSummary(
    string Control,
    long ControlImpressions,
    long ControlConversions,
    double ControlRate,
    BetaPosterior ControlPosterior,
    IReadOnlyList<VariantComparison> Treatments,
    SampleRatioMismatchResult SampleRatio);

/// <summary>Combines the z-test, the Bayesian comparison, Holm's correction and the SRM check.</summary>
public static class ExperimentAnalysis
{
    /// <summary>
    /// Summarizes an experiment. The first variant is the control. <paramref name="allocationWeights"/>
    /// gives the intended split (empty = equal). <paramref name="random"/> is needed only when the
    /// priors make the Bayesian comparison fall back to Monte Carlo (never with integral prior alpha).
    /// </summary>
    public static ExperimentSummary Summarize(
        IReadOnlyList<VariantCounts> variants,
        ReadOnlySpan<double> allocationWeights = default,
        ExperimentAnalysisOptions? options = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(variants);
        if (variants.Count < 2)
        {
            throw new ArgumentException("An experiment needs a control and at least one treatment.", nameof(variants));
        }

        options ??= new ExperimentAnalysisOptions();
        var control = variants[0];
        var controlPosterior = BetaPosterior.FromCounts(control.Impressions, control.Conversions, options.PriorAlpha, options.PriorBeta);

        var treatmentCount = variants.Count - 1;
        var tests = new TwoProportionTestResult?[treatmentCount];
        var pValues = new double[treatmentCount];
        for (var i = 0; i < treatmentCount; i++)
        {
            var v = variants[i + 1];
            if (control.Impressions > 0 && v.Impressions > 0)
            {
                tests[i] = TwoProportionZTest.Run(control.Impressions, control.Conversions, v.Impressions, v.Conversions, options.ConfidenceLevel);
                pValues[i] = tests[i]!.PValue;
            }
            else
            {
                pValues[i] = 1;
            }
        }

        var adjusted = MultipleTesting.HolmBonferroni(pValues);
        var comparisons = new VariantComparison[treatmentCount];
        for (var i = 0; i < treatmentCount; i++)
        {
            var v = variants[i + 1];
            var posterior = BetaPosterior.FromCounts(v.Impressions, v.Conversions, options.PriorAlpha, options.PriorBeta);
            var pBeat = BayesianComparison.ProbabilityBBeatsA(controlPosterior, posterior, random);
            comparisons[i] = new VariantComparison(
                v.Variant,
                v.Impressions,
                v.Conversions,
                tests[i],
                adjusted[i],
                tests[i] is not null && adjusted[i] <= options.Alpha,
                pBeat,
                posterior);
        }

        var useUnits = true;
        for (var i = 0; i < variants.Count; i++)
        {
            useUnits &= variants[i].Units.HasValue;
        }

        var observed = new long[variants.Count];
        for (var i = 0; i < variants.Count; i++)
        {
            observed[i] = useUnits ? variants[i].Units!.Value : variants[i].Impressions;
        }

        double[] weights;
        if (allocationWeights.IsEmpty)
        {
            weights = new double[variants.Count];
            Array.Fill(weights, 1.0);
        }
        else
        {
            weights = allocationWeights.ToArray();
        }

        var srm = SampleRatioMismatch.Test(observed, weights, options.SampleRatioThreshold);
        var controlRate = control.Impressions > 0 ? (double)control.Conversions / control.Impressions : 0;
        return new ExperimentSummary(
            control.Variant,
            control.Impressions,
            control.Conversions,
            controlRate,
            controlPosterior,
            comparisons,
            srm);
    }
}
