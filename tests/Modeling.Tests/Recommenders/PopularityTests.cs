using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

public sealed class PopularityTests
{
    private static InteractionDataset Data(params (string User, string Item, long Time)[] rows)
    {
        var b = new InteractionDatasetBuilder();
        foreach (var (u, i, t) in rows)
        {
            b.Add(u, i, 1, t);
        }

        return b.Build();
    }

    [Fact]
    public void Global_popularity_ranks_the_most_interacted_item_first()
    {
        var data = Data(("u1", "a", 1), ("u2", "b", 1), ("u3", "b", 1), ("u4", "c", 1), ("u5", "b", 1), ("u6", "c", 1));
        var model = new PopularityRecommender();
        model.Fit(new TrainingData(data), new Random(1));
        var scores = new float[3];

        model.ScoreItems([], scores);

        Assert.Equal([1, 2, 0], TopK.Select(scores, 3));
        Assert.Equal(0.5f, scores[1], 5);
    }

    [Fact]
    public void Group_popularity_differs_per_group_and_falls_back_to_global()
    {
        // Group 0 (u1, u2) loves "a"; group 1 (u3, u4, u5) loves "b".
        var data = Data(("u1", "a", 1), ("u2", "a", 1), ("u3", "b", 1), ("u4", "b", 1), ("u5", "b", 1), ("u1", "b", 1));
        var model = new PopularityRecommender(new PopularityOptions { ByGroup = true, GroupPrior = 0.5f });
        model.Fit(new TrainingData(data, [0, 0, 1, 1, 1]), new Random(1));
        var g0 = new float[2];
        var g1 = new float[2];
        var global = new float[2];

        model.Score(0, g0);
        model.Score(3, g1);
        model.ScoreGroup(-1, global);

        Assert.True(g0[0] > g0[1]);
        Assert.True(g1[1] > g1[0]);
        Assert.True(global[1] > global[0]);
    }

    [Fact]
    public void Trending_prefers_recent_items_over_older_more_popular_ones()
    {
        const long day = 86_400;
        // "old" had 3 interactions 30 days ago; "new" 2 interactions today.
        var data = Data(("u1", "old", 0), ("u2", "old", 0), ("u3", "old", 0), ("u4", "new", 30 * day), ("u5", "new", 30 * day));
        var plain = new PopularityRecommender();
        var trending = new PopularityRecommender(new PopularityOptions { HalfLife = TimeSpan.FromDays(7) });
        plain.Fit(new TrainingData(data), new Random(1));
        trending.Fit(new TrainingData(data), new Random(1));
        var p = new float[2];
        var t = new float[2];

        plain.ScoreItems([], p);
        trending.ScoreItems([], t);

        Assert.True(p[0] > p[1]);
        Assert.True(t[1] > t[0]);
    }
}
