using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

/// <summary>Small seeded two-group / two-block data set and the check that a model recovered the blocks.</summary>
internal static class Planted
{
    public const int Users = 200;
    public const int Items = 120;

    public static PlantedData Data(int seed = 11) => SyntheticInteractions.PlantedBlocks(Users, Items, 2, 20, 0.9, new Random(seed));

    public static TrainingData Training(PlantedData planted) => new(planted.Data, planted.UserGroups);

    /// <summary>
    /// Share of each user's top-10 unseen items that lie in the user's own group's item block (chance is about 0.5).
    /// </summary>
    public static double InBlockShare(IRecommender model, PlantedData planted, TrainingData training)
    {
        var blockSize = Items / planted.Groups;
        var scores = new float[Items];
        var heap = new TopKHeap(10);
        var top = new int[10];
        var inBlock = 0;
        var total = 0;
        for (var u = 0; u < training.UserCount; u++)
        {
            model.Score(u, scores);
            var n = TopK.Select(scores, training.UserItems.RowColumns(u), heap, top);
            for (var k = 0; k < n; k++)
            {
                total++;
                if (top[k] / blockSize == planted.UserGroups[u])
                {
                    inBlock++;
                }
            }
        }

        return (double)inBlock / total;
    }
}

/// <summary>Scores items uniformly at random: the chance baseline.</summary>
internal sealed class RandomRecommender(int seed) : IRecommender
{
    private int _items;
    private int _users;

    public string Kind => "random";

    public int ItemCount => _items;

    public int UserCount => _users;

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        _items = data.ItemCount;
        _users = data.UserCount;
    }

    public void Score(int user, Span<float> scores)
    {
        var r = new Random(HashCode.Combine(seed, user));
        for (var i = 0; i < _items; i++)
        {
            scores[i] = r.NextSingle();
        }
    }

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores) => Score(-1, scores);

    public void Write(BinaryWriter writer) => throw new NotSupportedException();
}
