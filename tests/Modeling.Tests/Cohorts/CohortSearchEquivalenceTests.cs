using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Cohorts;

/// <summary>
/// The weight search keeps a few hundred candidate items per validation user instead of every item's score; its
/// bound must make that exact. Old (every item scored at every weighting) and new must decide the same, to the bit.
/// </summary>
public sealed class CohortSearchEquivalenceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Candidate_search_decides_exactly_as_the_exhaustive_search(int seed)
    {
        // 2,000 items against at most 4 × 50 candidates a user: most items are outside every user's candidates.
        var planted = SyntheticInteractions.PlantedBlocks(1_200, 2_000, 4, 25, 0.7, new Random(seed));
        var (train, holdout) = TrainingPipeline.Holdout(planted.Data, new TrainingOptions { Seed = seed });
        var data = new TrainingData(train, planted.UserGroups);
        var ials = new IalsRecommender(new IalsOptions { Factors = 16, Iterations = 4 });
        ials.Fit(data, new Random(seed));
        var knn = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 30 });
        knn.Fit(data, new Random(seed));
        var popularity = new PopularityRecommender();
        popularity.Fit(data, new Random(seed));
        CohortSignal[] signals = [new("ials", ials, 1), new("itemknn", knn, 0.5f), new("popularity", popularity, 0.25f)];

        var exhaustive = new CohortAwareRecommender(signals, holdout, new CohortStrategyOptions { ExhaustiveSearch = true });
        exhaustive.Fit(data, new Random(seed + 10));
        var candidates = new CohortAwareRecommender(signals, holdout, new CohortStrategyOptions());
        candidates.Fit(data, new Random(seed + 10));

        // The bound proves most users' top-k from the candidates alone; otherwise the test would compare the old path with itself.
        var (evaluations, fullScans) = candidates.SearchCounts;
        Assert.Equal(evaluations, exhaustive.SearchCounts.FullScans);
        Assert.True(fullScans * 5 < evaluations, $"{fullScans} of {evaluations} evaluations scored every item");
        Assert.Equal(exhaustive.Decisions.Count, candidates.Decisions.Count);
        for (var g = 0; g < exhaustive.Decisions.Count; g++)
        {
            var a = exhaustive.Decisions[g];
            var b = candidates.Decisions[g];
            Assert.True(a.ValidationUsers >= 30, $"group {g} has {a.ValidationUsers} validation users: too few to search");
            Assert.Equal(a.Adapted, b.Adapted);
            Assert.Equal(a.Weights, b.Weights);
            Assert.Equal(a.GlobalNdcg, b.GlobalNdcg);
            Assert.Equal(a.AdaptedNdcg, b.AdaptedNdcg);
            Assert.Equal(a.OutOfFoldGain, b.OutOfFoldGain);
            Assert.Equal(a.OutOfFoldStandardError, b.OutOfFoldStandardError);
        }
    }
}
