using Cohortly.Modeling.Data;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>
/// EASE joins the served blend only by the tuner's significance rule: the chosen combination must beat the configured
/// one, and EASE must beat the best blend the same search found without it, each by
/// <see cref="TrainingTuningOptions.MinGainStandardErrors"/> standard errors of the paired per-user NDCG difference on the
/// tuning split. Seeded: the same world gives the same decisions.
/// </summary>
public sealed class EaseTuningTests
{
    /// <summary>
    /// A one-factor iALS (factors are not searched), so the item-item signals carry the blend; on this world EASE adds
    /// +0.0073 ± 0.0049 to the best blend without it — more than one standard error, less than two.
    /// </summary>
    private static TrainingOptions Options(double minGainStandardErrors) => new()
    {
        Factors = 1,
        EaseNeighbors = 100,
        Ranker = false,
        Tuning = new TrainingTuningOptions { MinGainStandardErrors = minGainStandardErrors },
    };

    private static InteractionDataset TrainingPart(TrainingOptions options, int items = 150)
    {
        var world = TrainingWorld.Create(users: 300, items: items, days: 21, seed: 11);
        var log = TrainingLog.Read(world.Input, options, CancellationToken.None);
        return TrainingPipeline.Holdout(log.Positives, options).Train;
    }

    [Fact]
    public void Ease_joins_the_blend_when_its_own_gain_clears_the_rule()
    {
        var options = Options(1);

        var (tuned, report) = TrainingTuner.Tune(TrainingPart(options), options, TimeProvider.System);

        Assert.Equal(0, report.Defaults["blend.w_ease"]);
        Assert.True(report.Chosen["blend.w_ease"] > 0, report.Reason);
        Assert.Equal((float)report.Chosen["blend.w_ease"], tuned.EaseWeight);
        Assert.Equal((float)report.Chosen["ease.lambda"], tuned.EaseRegularization);
        Assert.Contains("EASE in the blend", report.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_gain_below_two_standard_errors_leaves_ease_out_and_keeps_the_rest_of_the_tuning()
    {
        var options = Options(2);

        var (tuned, report) = TrainingTuner.Tune(TrainingPart(options), options, TimeProvider.System);

        // The search's best combination had EASE in it; its own gain was not two standard errors.
        Assert.True(report.Trials.Where(t => t.Family == "blend").MaxBy(t => t.Ndcg)!.Parameters.Contains("w_ease=0.", StringComparison.Ordinal));
        Assert.Contains("EASE left out", report.Reason, StringComparison.Ordinal);
        Assert.Equal(0, report.Chosen["blend.w_ease"]);
        Assert.Equal(0f, tuned.EaseWeight);
        // The other choices clear the rule against the configured blend and are adopted.
        Assert.StartsWith("tuned:", report.Reason, StringComparison.Ordinal);
        Assert.NotEqual(report.Defaults["blend.w_ials"], report.Chosen["blend.w_ials"]);

        var bundle = TrainingPipeline.Run(TrainingWorld.Create(users: 300, items: 150, days: 21, seed: 11).Input, options);

        Assert.DoesNotContain(bundle.Scorer.Signals, s => s.Name == "ease");
    }

    [Fact]
    public void A_catalog_above_the_ease_bound_is_tuned_without_ease_and_says_so()
    {
        var options = Options(2) with { EaseMaxItems = 20, Tuning = new TrainingTuningOptions { Budget = 12 } };

        var (tuned, report) = TrainingTuner.Tune(TrainingPart(options), options, TimeProvider.System);

        Assert.DoesNotContain(report.Trials, t => t.Family == "ease" || t.Parameters.Contains("w_ease", StringComparison.Ordinal));
        Assert.Contains("EASE not tried", report.Reason, StringComparison.Ordinal);
        Assert.Equal(0f, tuned.EaseWeight);
    }
}
