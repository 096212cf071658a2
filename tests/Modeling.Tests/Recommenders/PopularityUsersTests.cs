using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

public sealed class PopularityUsersTests
{
    [Fact]
    public void Popularity_counts_users_not_repeated_events()
    {
        // One user buys "a" five times; three users buy "b" once each.
        var b = new InteractionDatasetBuilder();
        for (var t = 0; t < 5; t++)
        {
            b.Add("heavy", "a", 1, t);
        }

        b.Add("x", "b", 1, 10);
        b.Add("y", "b", 1, 11);
        b.Add("z", "b", 1, 12);
        var data = new TrainingData(b.Build());

        var users = Scores(new PopularityRecommender(), data);
        var events = Scores(new PopularityRecommender(new PopularityOptions { CountDistinctUsers = false }), data);

        Assert.Equal(0.25f, users[0], 6);
        Assert.Equal(0.75f, users[1], 6);
        Assert.True(events[0] > events[1]);
    }

    [Fact]
    public void With_decay_a_user_s_latest_event_on_an_item_counts_once()
    {
        var b = new InteractionDatasetBuilder();
        b.Add("u", "a", 1, 0);
        b.Add("u", "a", 1, 86_400);
        b.Add("v", "b", 1, 86_400);
        var data = new TrainingData(b.Build());

        var scores = Scores(new PopularityRecommender(new PopularityOptions { HalfLife = TimeSpan.FromDays(1) }), data);

        // Both items have one user whose latest event is at the reference time: equal shares.
        Assert.Equal(scores[0], scores[1], 6);
    }

    private static float[] Scores(PopularityRecommender model, TrainingData data)
    {
        model.Fit(data, new Random(1));
        var s = new float[data.ItemCount];
        model.Score(0, s);
        return s;
    }
}
