using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>
/// The tuner's choice of the item-item fit (cosine or EASE) follows the same significance rule as every other setting:
/// the chosen combination replaces the configured one only when it is <see cref="TrainingTuningOptions.MinGainStandardErrors"/>
/// standard errors better on the tuning split. Seeded: the same world gives the same decisions.
/// </summary>
public sealed class EaseTuningTests
{
    private static TrainingWorld World() => TrainingWorld.Create(users: 300, items: 150, days: 21, seed: 11);

    /// <summary>
    /// EASE configured with one weight per item, next to an iALS of one factor (factors are not searched): the item-item
    /// signal carries the blend, and this one barely says anything.
    /// </summary>
    private static readonly TrainingOptions StarvedEase = new() { ItemItemFit = ItemNeighborFit.Ease, EaseNeighbors = 1, Factors = 1, Ranker = false };

    private static InteractionDataset TrainingPart(TrainingOptions options)
    {
        var log = TrainingLog.Read(World().Input, options, CancellationToken.None);
        return TrainingPipeline.Holdout(log.Positives, options).Train;
    }

    [Fact]
    public void A_configured_fit_clearly_worse_than_the_other_is_replaced_and_the_bundle_serves_the_replacement()
    {
        var (tuned, report) = TrainingTuner.Tune(TrainingPart(StarvedEase), StarvedEase, TimeProvider.System);

        Assert.Equal(1, report.Defaults["itemitem.ease"]);
        Assert.True(report.Chosen["itemitem.ease"] == 0, report.Reason + " | " + string.Join("; ", report.Trials.Where(t => t.Family is "blend" or "ease").Select(t => $"{t.Family} {t.Parameters} {t.Ndcg:F4}")));
        Assert.Equal(ItemNeighborFit.Cosine, tuned.ItemItemFit);
        Assert.StartsWith("tuned:", report.Reason, StringComparison.Ordinal);
        Assert.Contains(report.Trials, t => t.Family == "ease");
        Assert.Contains(report.Trials, t => t.Family == "blend" && t.Parameters.Contains("itemitem=1", StringComparison.Ordinal));

        var bundle = TrainingPipeline.Run(World().Input, StarvedEase);

        Assert.Equal(ItemNeighborFit.Cosine, bundle.Neighbors.Options.Fit);
    }

    [Fact]
    public void The_same_switch_within_the_significance_rule_keeps_the_configured_fit()
    {
        var options = StarvedEase with { Tuning = new TrainingTuningOptions { MinGainStandardErrors = 10 } };

        var (tuned, report) = TrainingTuner.Tune(TrainingPart(options), options, TimeProvider.System);

        // The best combination used the cosine fit, and was better, but not by ten standard errors.
        Assert.True(report.ChosenNdcg > report.DefaultNdcg, $"{report.ChosenNdcg:F4} vs {report.DefaultNdcg:F4}");
        Assert.Contains("itemitem=0", report.Trials.Where(t => t.Family == "blend").MaxBy(t => t.Ndcg)!.Parameters, StringComparison.Ordinal);
        Assert.StartsWith("configured values kept", report.Reason, StringComparison.Ordinal);
        Assert.Equal(report.Defaults, report.Chosen);
        Assert.Same(options, tuned);
        Assert.Equal(ItemNeighborFit.Ease, tuned.ItemItemFit);
    }

    [Fact]
    public void Ease_is_tried_but_not_adopted_where_it_does_not_beat_the_cosine_fit()
    {
        var options = new TrainingOptions { Ranker = false };

        var (tuned, report) = TrainingTuner.Tune(TrainingPart(options), options, TimeProvider.System);

        var bestEase = report.Trials.Where(t => t.Family == "ease").Max(t => t.Ndcg);
        var bestKnn = report.Trials.Where(t => t.Family == "itemknn").Max(t => t.Ndcg);
        Assert.True(bestEase < bestKnn, $"on this world EASE {bestEase:F4} vs item-kNN {bestKnn:F4}");
        Assert.Contains(report.Trials, t => t.Family == "blend" && t.Parameters.Contains("itemitem=1", StringComparison.Ordinal));
        Assert.Equal(0, report.Chosen["itemitem.ease"]);
        Assert.Equal(ItemNeighborFit.Cosine, tuned.ItemItemFit);
    }

    [Fact]
    public void A_catalog_above_the_ease_bound_is_tuned_without_ease_and_says_so()
    {
        var options = new TrainingOptions { Ranker = false, EaseMaxItems = 20, Tuning = new TrainingTuningOptions { Budget = 12 } };

        var (tuned, report) = TrainingTuner.Tune(TrainingPart(options), options, TimeProvider.System);

        Assert.DoesNotContain(report.Trials, t => t.Family == "ease" || t.Parameters.Contains("itemitem", StringComparison.Ordinal));
        Assert.Contains("EASE not tried", report.Reason, StringComparison.Ordinal);
        Assert.Equal(ItemNeighborFit.Cosine, tuned.ItemItemFit);
    }
}
