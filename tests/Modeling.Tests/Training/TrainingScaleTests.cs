using Cohortly.Modeling.Data;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>The train-scale bench's path at a small size: the generated log, the stage meter, and the silo's pipeline.</summary>
public sealed class TrainingScaleTests
{
    private static readonly DateTimeOffset End = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Synthetic_log_is_the_same_for_a_seed_and_differs_between_seeds()
    {
        var a = new SyntheticTrainingLog(500, 200, 5_000, 7, End);
        var b = new SyntheticTrainingLog(500, 200, 5_000, 7, End);
        var c = new SyntheticTrainingLog(500, 200, 5_000, 8, End);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(5_000, a.Count);
        Assert.Equal(a[1234], a.ElementAt(1234));
        Assert.True(a[^1].TimestampMs <= End.ToUnixTimeMilliseconds());
        Assert.True(a[0].TimestampMs >= (End - SyntheticTrainingLog.Span).ToUnixTimeMilliseconds());
        // Planted groups: most of a user's events fall in the block of items its group prefers.
        var inBlock = 0;
        foreach (var e in a)
        {
            var user = int.Parse(e.UserId[1..], System.Globalization.CultureInfo.InvariantCulture);
            var item = int.Parse(e.ItemId[1..], System.Globalization.CultureInfo.InvariantCulture);
            inBlock += item / (a.Items / a.Groups) == a.GroupOf(user) ? 1 : 0;
        }

        Assert.True(inBlock > a.Count * 0.7, $"{inBlock} of {a.Count} events in the user's block");
    }

    [Fact]
    public void Stage_meter_measures_every_stage_of_a_small_training_run()
    {
        var log = new SyntheticTrainingLog(3_000, 400, 40_000, 42, End);
        var endedInOrder = new List<StageMeasurement>();
        var meter = new TrainingStageMeter(endedInOrder.Add);

        var bundle = TrainingPipeline.Run(new TrainingInput(log, log.Catalog(), [], null, 1, End), new TrainingOptions { IalsIterations = 3 }, meter);

        // Each stage was handed out as it ended, the same measurement the meter keeps.
        Assert.Equal(meter.Stages, endedInOrder);

        var expected = new List<string>();
        foreach (var (stage, _) in TrainingPipeline.Stages)
        {
            expected.Add(stage);
        }

        var measured = new List<string>();
        foreach (var s in meter.Stages)
        {
            measured.Add(s.Stage);
            Assert.True(s.Seconds >= 0 && s.CpuSeconds >= 0 && s.AllocatedBytes >= 0, s.ToString());
            if (OperatingSystem.IsLinux())
            {
                Assert.True(s.PeakRssBytes > 1_000_000, s.ToString());
            }
        }

        Assert.Equal(expected, measured);
        foreach (var s in meter.Stages)
        {
            // The iALS fit is the first part of the backbone and of the refit: it ends before its stage does.
            if (s.Stage is "backbone" or "refit")
            {
                Assert.NotNull(s.FirstPartSeconds);
                Assert.InRange(s.FirstPartSeconds!.Value, 0, s.Seconds);
            }
        }

        Assert.Equal(log.Users, bundle.UserIds.Count);
        Assert.Equal(log.Items, bundle.ItemIds.Count);
        Assert.True(bundle.Summary.HoldoutNdcgGlobal > 0.05, $"holdout ndcg {bundle.Summary.HoldoutNdcgGlobal}");
    }

    [Fact]
    public void Holdout_takes_a_bounded_seeded_sample_of_users_and_leaves_smaller_logs_unchanged()
    {
        var data = SyntheticInteractions.PlantedBlocks(600, 300, 3, 12, 0.8, new Random(3)).Data;

        var (trainAll, holdoutAll) = TrainingPipeline.Holdout(data, new TrainingOptions());
        var (trainSame, holdoutSame) = TrainingPipeline.Holdout(data, new TrainingOptions { HoldoutMaxUsers = 600 });
        var (trainCapped, holdoutCapped) = TrainingPipeline.Holdout(data, new TrainingOptions { HoldoutMaxUsers = 100 });
        var (_, holdoutAgain) = TrainingPipeline.Holdout(data, new TrainingOptions { HoldoutMaxUsers = 100 });

        Assert.Equal(trainAll.Count, trainSame.Count);
        Assert.Equal(holdoutAll.Values, holdoutSame.Values);
        Assert.Equal(Users(holdoutAll), Users(holdoutSame));
        Assert.Equal(600, Users(holdoutAll).Count);
        Assert.Equal(100, Users(holdoutCapped).Count);
        Assert.Equal(Users(holdoutCapped), Users(holdoutAgain));
        Assert.Equal(data.Count, trainCapped.Count + holdoutCapped.Values.Length);

        static List<int> Users(SparseMatrix holdout)
        {
            var users = new List<int>();
            for (var u = 0; u < holdout.Rows; u++)
            {
                if (holdout.RowLength(u) > 0)
                {
                    users.Add(u);
                }
            }

            return users;
        }
    }
}
