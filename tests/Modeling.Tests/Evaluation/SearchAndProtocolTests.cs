using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Evaluation;

public sealed class SearchAndProtocolTests
{
    [Fact]
    public void Coordinate_search_selects_the_validation_best_value_and_returns_that_fitted_model()
    {
        var planted = SyntheticInteractions.PlantedBlocks(120, 60, 2, 15, 0.9, new Random(2));
        var split = EvaluationProtocol.RecBole.SplitData(planted.Data, new Random(3));
        var train = new TrainingData(split.Train);
        var validation = RankingEvaluator.ForValidation(split);
        var search = new CoordinateSearch(train, validation, seed: 1);
        // k = 1 neighbour is clearly worse than 20 on this data; the search must notice.
        var family = new TunableModel(
            "itemknn",
            [new ParameterAxis("k", [1, 20])],
            new Dictionary<string, double> { ["k"] = 1 },
            p => new ItemKnnRecommender(new ItemKnnOptions { Neighbors = (int)p["k"] }));

        var result = search.Run(family);

        Assert.Equal(20, result.Best.Parameters["k"]);
        Assert.Equal(2, result.Trials.Count); // the start point is not retrained
        Assert.Equal(20, ((ItemKnnRecommender)result.BestModel).Options.Neighbors);
        Assert.Equal(validation.Evaluate(result.BestModel).Overall.Ndcg, result.Best.Objective, 12);
        Assert.True(result.Trials[0].Objective < result.Best.Objective);
    }

    [Fact]
    public void RecBole_preset_filters_to_a_10_core_of_values_at_least_3()
    {
        var planted = SyntheticInteractions.PlantedBlocks(80, 60, 2, 30, 0.9, new Random(4));

        var filtered = EvaluationProtocol.RecBole.Filter(planted.Data);

        Assert.True(filtered.Count > 0);
        Assert.All(filtered.Values.ToArray(), v => Assert.True(v >= 3));
        Assert.All(filtered.CountPerUser(), c => Assert.True(c >= 10));
        Assert.All(filtered.CountPerItem(), c => Assert.True(c >= 10));
        Assert.Equal(10, EvaluationProtocol.RecBole.K);
        Assert.Equal(SplitMethod.TemporalPerUser, EvaluationProtocol.Parse("temporal").Split);
    }
}
