using Cohortly.Modeling.Data;
using Cohortly.Modeling.Training;
using Cohortly.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Cohortly.Modeling.Tests.Training;

public sealed class TrainingTunerTests
{
    private static TrainingWorld World() => TrainingWorld.Create(users: 300, items: 300, days: 21, seed: 11);

    /// <summary>
    /// iALS regularised a hundred times past its grid and item-kNN out of the blend: the configured model is clearly
    /// worse than the grid's, so a run that tunes must choose grid values, serve them, and score better on its own
    /// holdout (which tuning never sees) than the same run without tuning.
    /// </summary>
    private static readonly TrainingOptions Poor = new() { IalsRegularization = 5000, KnnWeight = 0, Ranker = false };

    [Fact]
    public void Tuning_picks_a_clearly_better_configuration_and_the_served_bundle_uses_it()
    {
        var world = World();

        var configured = TrainingPipeline.Run(world.Input, Poor with { Tuning = new TrainingTuningOptions { Enabled = false } });
        var tuned = TrainingPipeline.Run(world.Input, Poor);

        var report = Assert.IsType<TuningReport>(tuned.Tuning);
        Assert.True(report.Enabled);
        Assert.NotEqual("cap", report.Stopped);
        Assert.Equal(5000, report.Defaults["ials.reg"]);
        Assert.True(report.Chosen["ials.reg"] <= 75, $"chosen reg {report.Chosen["ials.reg"]}");
        Assert.True(report.ChosenNdcg > report.DefaultNdcg + 0.02, $"tuning split: {report.DefaultNdcg:F4} → {report.ChosenNdcg:F4}");
        // The served models are the chosen configuration, refitted on everything.
        Assert.Equal((float)report.Chosen["ials.reg"], tuned.Factors.Options.Regularization);
        Assert.Equal((float)report.Chosen["ials.alpha"], tuned.Factors.Options.Alpha);
        Assert.Equal((int)report.Chosen["itemknn.k"], tuned.Neighbors.Options.Neighbors);
        Assert.Equal((float)report.Chosen["itemknn.shrink"], tuned.Neighbors.Options.Shrinkage);
        Assert.Equal(report.Chosen["blend.w_ials"], GlobalWeight(tuned, "ials"), 6);
        Assert.Equal(report.Chosen["blend.w_itemknn"], GlobalWeight(tuned, "itemknn"), 6);
        Assert.Equal(5000f, configured.Factors.Options.Regularization);
        Assert.False(configured.Tuning!.Enabled);
        // The run's own holdout: the tuned run serves the better model.
        Assert.True(
            tuned.Summary.HoldoutNdcgGlobal > configured.Summary.HoldoutNdcgGlobal + 0.02,
            $"holdout NDCG@10 tuned {tuned.Summary.HoldoutNdcgGlobal:F4} vs configured {configured.Summary.HoldoutNdcgGlobal:F4}");
    }

    [Fact]
    public void Same_log_and_seed_choose_the_same_configuration_and_train_the_same_bundle()
    {
        var world = World();

        var a = TrainingPipeline.Run(world.Input, Poor);
        var b = TrainingPipeline.Run(world.Input, Poor);

        Assert.Equal(a.Tuning!.Chosen, b.Tuning!.Chosen);
        Assert.Equal(a.Tuning.Trials.Select(t => (t.Family, t.Parameters, t.Ndcg)), b.Tuning.Trials.Select(t => (t.Family, t.Parameters, t.Ndcg)));
        Assert.Equal(WithoutTimings(a).ToBytes(), WithoutTimings(b).ToBytes());
    }

    [Fact]
    public void A_budget_bounds_the_configurations_deterministically_and_says_it_stopped_the_search()
    {
        var (train, options) = TuningInput(new TrainingTuningOptions { Budget = 5 });

        var (_, report) = TrainingTuner.Tune(train, options, TimeProvider.System);

        Assert.Equal("budget", report.Stopped);
        Assert.Equal(5, report.Trials.Count);
        // Every family trains at least its configured start, so each is compared with what was configured.
        Assert.Equal(["blend", "ease", "ials", "itemknn"], report.Trials.Select(t => t.Family).Distinct().Order());
    }

    [Fact]
    public void The_wall_clock_cap_stops_the_search_early_and_records_what_was_tried()
    {
        var (train, options) = TuningInput(new TrainingTuningOptions { Budget = 48, Cap = TimeSpan.FromMinutes(3) });
        // Every reading of the clock moves it a minute on: the cap fires on the third check.
        var time = new FakeTimeProvider { AutoAdvanceAmount = TimeSpan.FromMinutes(1) };

        var (tuned, report) = TrainingTuner.Tune(train, options, time);

        Assert.Equal("cap", report.Stopped);
        Assert.InRange(report.Trials.Count, 3, 10);
        Assert.True(report.Trials.Count < options.Tuning.Budget);
        Assert.Equal(["blend", "ease", "ials", "itemknn"], report.Trials.Select(t => t.Family).Distinct().Order());
        // What was chosen is among what was tried, and the options carry it.
        Assert.Equal(report.Chosen["itemknn.k"], tuned.KnnNeighbors);
        Assert.Contains(report.Trials, t => t.Family == "ials" && t.Parameters.Contains("reg=" + report.Chosen["ials.reg"], StringComparison.Ordinal));

        var uncapped = TrainingTuner.Tune(train, options, TimeProvider.System).Report;
        Assert.NotEqual("cap", uncapped.Stopped);
        Assert.True(uncapped.Trials.Count > report.Trials.Count);
    }

    [Fact]
    public void The_tuning_report_travels_in_the_bundle()
    {
        var bundle = TrainingPipeline.Run(World().Input, Poor with { Tuning = new TrainingTuningOptions { Budget = 6 } });

        var copy = ModelBundle.FromBytes(bundle.ToBytes()).Tuning!;

        var report = bundle.Tuning!;
        Assert.Equal(report with { Defaults = null!, Chosen = null!, Trials = [] }, copy with { Defaults = null!, Chosen = null!, Trials = [] });
        Assert.Equal(report.Defaults, copy.Defaults);
        Assert.Equal(report.Chosen, copy.Chosen);
        Assert.Equal(report.Trials, copy.Trials);
        Assert.Equal("budget", copy.Stopped);
    }

    [Fact]
    public void Disabled_tuning_keeps_the_configured_values()
    {
        var (train, options) = TuningInput(new TrainingTuningOptions { Enabled = false });

        var (tuned, report) = TrainingTuner.Tune(train, options, TimeProvider.System);

        Assert.Same(options, tuned);
        Assert.False(report.Enabled);
        Assert.Empty(report.Trials);
        Assert.Equal(report.Defaults, report.Chosen);
    }

    [Fact]
    public void Bad_tuning_settings_are_refused_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentException>(() => new TrainingOptions { Tuning = new TrainingTuningOptions { Budget = 0 } }.Validate());
        Assert.Contains("Tuning", error.Message, StringComparison.Ordinal);
        Assert.Contains("Budget", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new TrainingOptions { Tuning = new TrainingTuningOptions { Cap = TimeSpan.Zero } }.Validate());
    }

    [Fact]
    public void No_item_knn_configuration_tried_keeps_more_entries_than_the_bound()
    {
        var (train, unbounded) = TuningInput(new TrainingTuningOptions { Budget = 30 });
        var maxK = 7;
        var bound = unbounded with { Tuning = unbounded.Tuning with { MaxNeighborEntries = (long)train.ItemCount * maxK } };

        var report = TrainingTuner.Tune(train, bound, TimeProvider.System).Report;

        var knn = report.Trials.Where(t => t.Family == "itemknn").ToList();
        Assert.NotEmpty(knn);
        // The configured start is trained as configured (the comparison baseline); every searched k keeps to the bound.
        var searched = knn.Select(t => KOf(t.Parameters)).Where(k => k != unbounded.KnnNeighbors).ToList();
        Assert.NotEmpty(searched);
        Assert.All(searched, k => Assert.InRange(k, 1, maxK));
        Assert.Contains(maxK, searched);
    }

    private static int KOf(string parameters)
    {
        foreach (var part in parameters.Split(", "))
        {
            if (part.StartsWith("k=", StringComparison.Ordinal))
            {
                return int.Parse(part[2..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no k in " + parameters);
    }

    /// <summary>The training part of the world's log, as the pipeline hands it to the tuner.</summary>
    private static (InteractionDataset Train, TrainingOptions Options) TuningInput(TrainingTuningOptions tuning)
    {
        var world = World();
        var options = Poor with { Tuning = tuning };
        var log = TrainingLog.Read(world.Input, options, CancellationToken.None);
        return (TrainingPipeline.Holdout(log.Positives, options).Train, options);
    }

    private static double GlobalWeight(ModelBundle bundle, string signal)
    {
        foreach (var s in bundle.Scorer.Signals)
        {
            if (s.Name == signal)
            {
                return s.GlobalWeight;
            }
        }

        throw new InvalidOperationException($"no signal {signal}");
    }

    private static ModelBundle WithoutTimings(ModelBundle b) => ModelBundleCopy.With(b, summary: b.Summary with { Stages = [] }, tuning: b.Tuning?.WithoutTimings());
}
