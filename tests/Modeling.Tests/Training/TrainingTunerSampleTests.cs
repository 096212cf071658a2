using System.Globalization;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>
/// Self-tuning on large logs fits its candidates on a seeded sample of <see cref="TrainingTuningOptions.MaxFitUsers"/>
/// whole users over the whole item catalog; logs within the bound are tuned as before.
/// </summary>
public sealed class TrainingTunerSampleTests
{
    private static readonly DateTimeOffset End = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The bench's generated log (train-scale's) at unit-test size: 3,000 users, 12 events each.</summary>
    private static readonly TrainingOptions Options = new() { IalsIterations = 3, Ranker = false };

    [Fact]
    public void A_log_above_the_bound_tunes_on_a_seeded_sample_of_that_many_users_and_the_bundle_says_so()
    {
        var log = new SyntheticTrainingLog(3_000, 300, 36_000, 42, End);
        var options = Options with { Tuning = new TrainingTuningOptions { MaxFitUsers = 600, Budget = 20 } };

        var bundle = TrainingPipeline.Run(new TrainingInput(log, log.Catalog(), [], null, 1, End), options);

        var report = ModelBundle.FromBytes(bundle.ToBytes()).Tuning!;
        Assert.Equal(600, report.TrainUsers);
        Assert.InRange(report.ValidationUsers, 1, 600);
        Assert.Contains("fitted on a seeded sample of 600 of ", report.Reason, StringComparison.Ordinal);
        Assert.Contains("(Tuning:MaxFitUsers 600)", report.Reason, StringComparison.Ordinal);
        // The chosen configuration is served fitted on everything: every user of the log with an event is in the bundle.
        Assert.InRange(bundle.UserIds.Count, 2_900, 3_000);
        Assert.Equal((int)report.Chosen["itemknn.k"], bundle.Neighbors.Options.Neighbors);
    }

    [Fact]
    public void The_sample_is_seeded_so_the_same_log_and_seed_choose_the_same_configuration()
    {
        var (train, options) = Train(new SyntheticTrainingLog(3_000, 300, 36_000, 42, End), new TrainingTuningOptions { MaxFitUsers = 500, Budget = 16 });

        var a = TrainingTuner.Tune(train, options, TimeProvider.System);
        var b = TrainingTuner.Tune(train, options, TimeProvider.System);

        Assert.Equal(500, a.Report.TrainUsers);
        Assert.Equal(a.Report.Chosen, b.Report.Chosen);
        Assert.Equal(a.Report.Reason, b.Report.Reason);
        Assert.Equal(a.Report.Trials.Select(t => (t.Family, t.Parameters, t.Ndcg)), b.Report.Trials.Select(t => (t.Family, t.Parameters, t.Ndcg)));
        Assert.Equal(a.Options, b.Options);
    }

    [Fact]
    public void The_sample_keeps_whole_users_and_the_whole_catalog_and_depends_only_on_the_data_and_the_seed()
    {
        var (train, _) = Train(new SyntheticTrainingLog(3_000, 300, 36_000, 42, End), new TrainingTuningOptions());

        var sample = TuningSample.Draw(train, 700, seed: 5);
        var again = TuningSample.Draw(train, 700, seed: 5);
        var other = TuningSample.Draw(train, 700, seed: 6);

        Assert.True(sample.Sampled);
        Assert.Equal(700, sample.Users);
        Assert.Equal(ActiveUsers(train), sample.Of);
        Assert.Equal(700, sample.Data.UserCount);
        Assert.Equal(700, ActiveUsers(sample.Data));
        Assert.Equal(train.ItemCount, sample.Data.ItemCount);
        Assert.Equal(train.Catalog.Items.Ids, sample.Data.Catalog.Items.Ids);
        Assert.Equal(sample.Data.Catalog.Users.Ids, again.Data.Catalog.Users.Ids);
        Assert.Equal(sample.Data.Items.ToArray(), again.Data.Items.ToArray());
        Assert.NotEqual(sample.Data.Catalog.Users.Ids, other.Data.Catalog.Users.Ids);
        // Every sampled user brings all their events, item for item.
        var full = EventsByUser(train);
        var sampled = EventsByUser(sample.Data);
        Assert.Equal(700, sampled.Count);
        foreach (var (user, items) in sampled)
        {
            Assert.Equal(full[user], items);
        }
    }

    [Fact]
    public void A_log_within_the_bound_is_tuned_on_all_its_users_as_before()
    {
        var (train, options) = Train(new SyntheticTrainingLog(1_000, 200, 12_000, 42, End), new TrainingTuningOptions { Budget = 16 });
        var active = ActiveUsers(train);
        Assert.True(active < new TrainingTuningOptions().MaxFitUsers, "the default bound leaves this log whole");

        var atTheBound = TrainingTuner.Tune(train, options with { Tuning = options.Tuning with { MaxFitUsers = active } }, TimeProvider.System).Report;
        var unbounded = TrainingTuner.Tune(train, options with { Tuning = options.Tuning with { MaxFitUsers = int.MaxValue } }, TimeProvider.System).Report;

        Assert.Same(train, TuningSample.Draw(train, active, seed: 1).Data);
        Assert.DoesNotContain("sample", atTheBound.Reason, StringComparison.Ordinal);
        Assert.Equal(train.UserCount, atTheBound.TrainUsers);
        Assert.Equal(unbounded.Reason, atTheBound.Reason);
        Assert.Equal(unbounded.ValidationUsers, atTheBound.ValidationUsers);
        Assert.Equal(unbounded.Chosen, atTheBound.Chosen);
        Assert.Equal(unbounded.Trials.Select(t => (t.Family, t.Parameters, t.Ndcg)), atTheBound.Trials.Select(t => (t.Family, t.Parameters, t.Ndcg)));
        // One user fewer than the log has and the search runs on a sample.
        var below = TrainingTuner.Tune(train, options with { Tuning = options.Tuning with { MaxFitUsers = active - 1 } }, TimeProvider.System).Report;
        Assert.Equal(active - 1, below.TrainUsers);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"sample of {active - 1} of {active} users"), below.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_large_log_completes_its_budget_on_the_sample_without_the_cap()
    {
        var (train, options) = Train(new SyntheticTrainingLog(40_000, 2_000, 400_000, 7, End), new TrainingTuningOptions { MaxFitUsers = 1_000, Budget = 24 });

        var report = TrainingTuner.Tune(train, options, TimeProvider.System).Report;

        Assert.True(report.Stopped is "budget" or null, $"stopped by {report.Stopped}");
        Assert.Equal(1_000, report.TrainUsers);
        Assert.InRange(report.Trials.Count, 1, 24);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"sample of 1000 of {ActiveUsers(train)} users"), report.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_item_knn_bound_counts_the_whole_catalog_not_the_items_the_sample_saw()
    {
        // 3,000 items and 200 sampled users with about 4 events each: the sample sees well under half of the catalog.
        var (train, unbounded) = Train(new SyntheticTrainingLog(5_000, 3_000, 20_000, 3, End), new TrainingTuningOptions { MaxFitUsers = 200, Budget = 30 });
        var seen = SeenItems(TuningSample.Draw(train, 200, seed: 1).Data);
        Assert.True(seen * 2 < train.ItemCount, $"the sample saw {seen} of {train.ItemCount} items");
        var maxK = 7;
        var bound = unbounded with { Tuning = unbounded.Tuning with { MaxNeighborEntries = (long)train.ItemCount * maxK } };

        var report = TrainingTuner.Tune(train, bound, TimeProvider.System).Report;

        Assert.Equal(200, report.TrainUsers);
        var searched = report.Trials.Where(t => t.Family == "itemknn").Select(t => KOf(t.Parameters)).Where(k => k != unbounded.KnnNeighbors).ToList();
        Assert.NotEmpty(searched);
        // Bounded by the sample's items the search could try k = entries / seen ≥ 14.
        Assert.All(searched, k => Assert.InRange(k, 1, maxK));
    }

    [Fact]
    public void A_bad_fit_sample_bound_is_refused_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentException>(() => new TrainingOptions { Tuning = new TrainingTuningOptions { MaxFitUsers = 99 } }.Validate());

        Assert.Contains("Tuning", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxFitUsers", error.Message, StringComparison.Ordinal);
        new TrainingOptions { Tuning = new TrainingTuningOptions { MaxFitUsers = 100 } }.Validate();
    }

    /// <summary>The training part of the log, as the pipeline hands it to the tuner.</summary>
    private static (InteractionDataset Train, TrainingOptions Options) Train(SyntheticTrainingLog log, TrainingTuningOptions tuning)
    {
        var options = Options with { Tuning = tuning };
        var read = TrainingLog.Read(new TrainingInput(log, log.Catalog(), [], null, 1, End), options, CancellationToken.None);
        return (TrainingPipeline.Holdout(read.Positives, options).Train, options);
    }

    private static int ActiveUsers(InteractionDataset data) => data.Users.ToArray().Distinct().Count();

    private static int SeenItems(InteractionDataset data) => data.Items.ToArray().Distinct().Count();

    /// <summary>Each user's (item, value, time) rows in the set's order, by user id.</summary>
    private static Dictionary<string, List<(string, float, long)>> EventsByUser(InteractionDataset data)
    {
        var result = new Dictionary<string, List<(string, float, long)>>(StringComparer.Ordinal);
        for (var r = 0; r < data.Count; r++)
        {
            var user = data.Catalog.Users[data.Users[r]];
            if (!result.TryGetValue(user, out var rows))
            {
                rows = [];
                result[user] = rows;
            }

            rows.Add((data.Catalog.Items[data.Items[r]], data.Values[r], data.Timestamps[r]));
        }

        return result;
    }

    private static int KOf(string parameters)
    {
        foreach (var part in parameters.Split(", "))
        {
            if (part.StartsWith("k=", StringComparison.Ordinal))
            {
                return int.Parse(part[2..], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no k in " + parameters);
    }
}
