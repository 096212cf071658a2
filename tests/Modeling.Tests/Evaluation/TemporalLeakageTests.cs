using System.Globalization;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Evaluation;

/// <summary>
/// Under the global-time preset every feature of a test-period row (profiles and cohorts, popularity, item age and the
/// ranker's item statistics, generator scores) is computed from events strictly before the cut. The check plants
/// events on one item after the test cut and asserts nothing changes; the same events planted before the validation
/// cut must change the features, so the check would see a leak.
/// </summary>
public sealed class TemporalLeakageTests
{
    private const long Start = 1_700_000_000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void No_feature_of_a_test_row_reads_an_event_after_the_cut(bool refit)
    {
        var data = Shop();
        var split = Prepare(data);
        var (validationCut, testCut) = (split.ValidationCut!.Value, split.TestCut!.Value);
        var target = LeastPopularItem(split.Train);

        var baseline = Features(split, refit);
        var late = Features(DatasetSplitter.GlobalTime(Plant(data, target, testCut + 10), validationCut, testCut), refit);
        var early = Features(DatasetSplitter.GlobalTime(Plant(data, target, validationCut - 500), validationCut, testCut), refit);

        Assert.Equal(baseline.Groups, late.Groups);
        Assert.Equal(baseline.Popularity, late.Popularity);
        Assert.Equal(baseline.ItemStatistics, late.ItemStatistics);
        Assert.Equal(baseline.Neighbours, late.Neighbours);
        Assert.Equal(baseline.Ranker, late.Ranker);
        // The planted events do move the features when they are history, so the equalities above can fail.
        Assert.NotEqual(baseline.Popularity, early.Popularity);
        Assert.NotEqual(baseline.ItemStatistics, early.ItemStatistics);
        Assert.NotEqual(baseline.Neighbours, early.Neighbours);
        if (!refit)
        {
            Assert.NotEqual(baseline.Ranker, early.Ranker);
        }
    }

    [Fact]
    public void The_global_time_preset_cuts_one_date_for_everybody_and_never_splits_a_second()
    {
        var data = Shop();

        var split = Prepare(data);

        var cut = split.ValidationCut!.Value;
        Assert.All(split.Train.Timestamps.ToArray(), t => Assert.True(t < cut));
        Assert.All(split.Validation.Timestamps.ToArray(), t => Assert.True(t >= cut && t < split.TestCut!.Value));
        Assert.All(split.Test.Timestamps.ToArray(), t => Assert.True(t >= split.TestCut!.Value));
        Assert.Equal(data.Count, split.Train.Count + split.Validation.Count + split.Test.Count);
        Assert.True(split.Test.Count > 0 && split.Validation.Count > 0);
    }

    [Fact]
    public void A_history_holding_an_event_at_the_test_cut_is_refused()
    {
        var split = Prepare(Shop());
        var leaky = split with { Validation = split.Test };

        Assert.Throws<InvalidOperationException>(() => EvaluationHistory.ForTest(leaky, refit: true));
    }

    [Fact]
    public void Refit_history_counts_a_pair_in_train_and_validation_once()
    {
        var b = new InteractionDatasetBuilder();
        b.Add("u1", "a", 1, 1);
        b.Add("u1", "b", 1, 2);
        b.Add("u1", "a", 1, 3);
        b.Add("u1", "c", 1, 4);
        b.Add("u2", "a", 1, 5);
        var all = b.Build();
        var split = new DatasetSplit(all.Select([0, 1]), all.Select([2, 3, 4]), all.Select([]));

        var history = EvaluationHistory.TrainAndValidation(split);

        Assert.Equal(4, history.Count);
        Assert.Equal([1L, 2L, 4L, 5L], history.Timestamps.ToArray());
    }

    private static DatasetSplit Prepare(InteractionDataset data)
    {
        var protocol = EvaluationProtocol.GlobalTime with { MinValue = null, MinInteractionsPerUser = 0, MinInteractionsPerItem = 0 };
        return protocol.SplitData(data, new Random(1));
    }

    /// <summary>80 users in two taste groups, one event each per hour-long round over 40 rounds (a shared calendar).</summary>
    private static InteractionDataset Shop()
    {
        var random = new Random(11);
        var b = new InteractionDatasetBuilder();
        for (var i = 0; i < 60; i++)
        {
            b.AddItem("i" + i.ToString(CultureInfo.InvariantCulture));
        }

        for (var round = 0; round < 40; round++)
        {
            for (var u = 0; u < 80; u++)
            {
                var block = (u % 2) * 30;
                var item = block + (int)(Math.Pow(random.NextDouble(), 1.5) * 30);
                b.Add("u" + u.ToString(CultureInfo.InvariantCulture), b.Items[item], 1 + random.Next(5), Start + (round * 3600) + u);
            }
        }

        return b.Build();
    }

    /// <summary>The data plus 30 users' events on <paramref name="item"/> at <paramref name="at"/> (+ a second each).</summary>
    private static InteractionDataset Plant(InteractionDataset data, int item, long at)
    {
        var n = 30;
        var users = new int[n];
        var items = new int[n];
        var values = new float[n];
        var times = new long[n];
        for (var x = 0; x < n; x++)
        {
            users[x] = x * 2;
            items[x] = item;
            values[x] = 5;
            times[x] = at + x;
        }

        return InteractionDataset.Concat(data, new InteractionDataset(data.Catalog, users, items, values, times));
    }

    private static int LeastPopularItem(InteractionDataset train)
    {
        var counts = train.CountPerItem();
        var best = 0;
        for (var i = 1; i < counts.Length; i++)
        {
            if (counts[i] < counts[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>
    /// What evaluate computes for the test users: cohorts, popularity, the ranker's item statistics (popularity, mean
    /// value, age), neighbour scores and, without refit (the ranker learns from validation labels, so it is not
    /// refitted), the ranker's scores, which read all its features.
    /// </summary>
    private static (int[] Groups, float[] Popularity, float[] ItemStatistics, float[] Neighbours, float[] Ranker) Features(DatasetSplit split, bool refit)
    {
        var history = EvaluationHistory.ForTest(split, refit);
        var cohorts = CohortAssignment.FromTraining(history, new CohortAssignmentOptions
        {
            Segmentation = new Modeling.Segmentation.SegmentationOptions { K = 2, Seed = 3 },
        });
        var train = new TrainingData(history, cohorts.UserGroups);
        var popularity = new PopularityRecommender();
        popularity.Fit(train, new Random(1));
        var statistics = ItemStatistics.Compute(train, popularity);
        var knn = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 20 });
        knn.Fit(train, new Random(1));

        var users = split.Catalog.UserCount;
        var items = split.Catalog.ItemCount;
        var pop = new float[items];
        popularity.Score(0, pop);
        var neighbours = ScoreAll(knn, users, items);
        float[] ranked = [];
        if (!refit)
        {
            var ranker = new LambdaMartRanker([new CandidateGenerator("itemknn", knn)], SparseMatrix.UserItem(split.Validation), new RankerOptions
            {
                NumberOfIterations = 20,
                MinimumExampleCountPerLeaf = 5,
                CandidatesPerGenerator = 20,
            });
            ranker.Fit(train, new Random(1));
            ranked = ScoreAll(ranker, users, items);
        }

        return (cohorts.UserGroups, pop, [.. statistics.LogPopularity, .. statistics.MeanValue, .. statistics.AgeDays], neighbours, ranked);
    }

    private static float[] ScoreAll(IRecommender model, int users, int items)
    {
        var scores = new float[users * items];
        for (var u = 0; u < users; u++)
        {
            model.Score(u, scores.AsSpan(u * items, items));
        }

        return scores;
    }
}
