using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Evaluation;

public sealed class GridExtensionTests
{
    [Fact]
    public void A_best_value_on_the_grid_s_edge_extends_the_grid_beyond_it()
    {
        var (train, validation) = Split();
        var search = new CoordinateSearch(train, validation, seed: 1);

        // k = 1 and 2 neighbours are both far too few on this data: the best is on the upper edge.
        var result = search.Run(Knn(new ParameterAxis("k", [1, 2]) { ExtendOnEdge = true, Integer = true, Minimum = 1 }));

        var tried = Tried(result);
        Assert.Contains(4.0, tried);
        Assert.True(result.Best.Parameters["k"] > 2);
        Assert.True(tried.Count <= 2 + CoordinateSearch.MaxExtensions);
    }

    [Fact]
    public void A_fixed_grid_stays_as_given()
    {
        var (train, validation) = Split();
        var search = new CoordinateSearch(train, validation, seed: 1);

        var result = search.Run(Knn(new ParameterAxis("k", [1, 2])));

        Assert.Equal([1.0, 2.0], Tried(result));
        Assert.Equal(2, result.Best.Parameters["k"]);
    }

    [Fact]
    public void The_next_value_keeps_the_grid_s_ratio_within_bounds()
    {
        var axis = new ParameterAxis("lambda", [100, 200]) { ExtendOnEdge = true, Maximum = 300 };

        Assert.Equal(300, axis.Beyond(100, 200));
        Assert.Equal(50, axis.Beyond(200, 100));
        Assert.Null(axis.Beyond(200, 300)); // 450 is clamped to the maximum, which is already on the grid
        Assert.Null(new ParameterAxis("shrink", [0, 10]) { ExtendOnEdge = true }.Beyond(10, 0));
    }

    private static (TrainingData, RankingEvaluator) Split()
    {
        var planted = SyntheticInteractions.PlantedBlocks(120, 60, 2, 15, 0.9, new Random(2));
        var split = EvaluationProtocol.RecBole.SplitData(planted.Data, new Random(3));
        return (new TrainingData(split.Train), RankingEvaluator.ForValidation(split));
    }

    private static TunableModel Knn(ParameterAxis axis) => new(
        "itemknn",
        [axis],
        new Dictionary<string, double> { ["k"] = 1 },
        p => new ItemKnnRecommender(new ItemKnnOptions { Neighbors = (int)p["k"] }));

    private static List<double> Tried(SearchResult result)
    {
        var values = new List<double>();
        foreach (var t in result.Trials)
        {
            values.Add(t.Parameters["k"]);
        }

        values.Sort();
        return values;
    }
}
