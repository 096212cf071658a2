using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

public sealed class TrainingLogTests
{
    private static TrainingInput Input(IReadOnlyList<Interaction> events, IReadOnlyList<ItemInfo>? catalog = null) =>
        new(events, catalog ?? [], [], null, 1, TrainingWorld.End);

    [Fact]
    public void Positives_keep_the_latest_signal_per_user_and_item()
    {
        Interaction[] events =
        [
            new("u1", "viewed", InteractionType.View, null, 1000, null),
            new("u1", "dismissed-later", InteractionType.Click, null, 1000, null),
            new("u1", "dismissed-later", InteractionType.Dismiss, null, 2000, null),
            new("u1", "liked", InteractionType.Rating, 4, 1000, null),
            new("u1", "disliked", InteractionType.Rating, 2, 1000, null),
            new("u2", "viewed", InteractionType.Dismiss, null, 1000, null),
            new("u2", "viewed", InteractionType.Purchase, 5, 3000, null),
            new("u2", "viewed", InteractionType.View, null, 3000, null),
        ];

        var log = TrainingLog.Read(Input(events, [new ItemInfo("catalog-only", ["books"], 3)]), new TrainingOptions { PositiveRating = 3 }, default);

        var pairs = new List<string>();
        for (var r = 0; r < log.Positives.Count; r++)
        {
            pairs.Add(log.UserIds[log.Positives.Users[r]] + ":" + log.ItemIds[log.Positives.Items[r]]);
        }

        Assert.Equal(["u1:liked", "u1:viewed", "u2:viewed"], pairs);
        Assert.Equal(["catalog-only", "disliked", "dismissed-later", "liked", "viewed"], log.ItemIds);
        Assert.Equal(["books"], log.Metadata[0].Categories);
        Assert.Empty(log.Metadata[1].Categories);
    }

    [Fact]
    public void Holdout_takes_a_tenth_of_each_eligible_users_positives_and_is_seeded()
    {
        var world = TrainingWorld.Create(users: 100, items: 300, days: 14, seed: 2);
        var log = TrainingLog.Read(world.Input, new TrainingOptions(), default);
        var options = new TrainingOptions { HoldoutFraction = 0.1, HoldoutMinPositives = 5 };

        var (train, holdout) = TrainingPipeline.Holdout(log.Positives, options);
        var (_, again) = TrainingPipeline.Holdout(log.Positives, options);
        var (_, other) = TrainingPipeline.Holdout(log.Positives, options with { Seed = 1 });

        var perUser = log.Positives.CountPerUser();
        var trainPerUser = train.CountPerUser();
        for (var u = 0; u < perUser.Length; u++)
        {
            var expected = perUser[u] < 5 ? 0 : Math.Max(1, (int)Math.Round(perUser[u] * 0.1));
            Assert.Equal(expected, holdout.RowLength(u));
            Assert.Equal(perUser[u] - expected, trainPerUser[u]);
            foreach (var item in holdout.RowColumns(u))
            {
                Assert.DoesNotContain(item, train.Items.ToArray().Where((_, r) => train.Users[r] == u));
            }
        }

        Assert.Equal(holdout.ColumnIndices, again.ColumnIndices);
        Assert.NotEqual(holdout.ColumnIndices, other.ColumnIndices);
    }
}
