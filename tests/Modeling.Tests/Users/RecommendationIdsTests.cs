using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Users;

namespace Cohortly.Modeling.Tests.Users;

public sealed class RecommendationIdsTests
{
    [Fact]
    public void New_ids_are_distinct_version_7_ids_carrying_their_time_like_the_framework_ones()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);
        var reference = Guid.CreateVersion7(now).ToString("N");
        var ids = Enumerable.Range(0, 10_000).Select(_ => RecommendationIds.NewId(now)).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var id in ids.Take(100))
        {
            Assert.Equal(7, id.Version);
            Assert.Equal(0b10, id.Variant >> 2);
            // The first 48 bits are the Unix milliseconds, the same prefix the framework's version 7 id has.
            Assert.Equal(reference[..12], id.ToString("N")[..12]);
        }

        Assert.True(RecommendationIds.NewId(now.AddMilliseconds(1)).CompareTo(ids[0]) > 0);
    }

    [Theory]
    [InlineData(RecommendationPipeline.CohortModel, ServedStrategy.CohortModel)]
    [InlineData(RecommendationPipeline.GlobalModel, ServedStrategy.GlobalModel)]
    [InlineData(RecommendationPipeline.ColdStartContent, ServedStrategy.ColdStart)]
    [InlineData(RecommendationPipeline.ColdStartPopularity, ServedStrategy.ColdStart)]
    [InlineData("cohort-popularity", ServedStrategy.Popularity)]
    [InlineData("global-popularity", ServedStrategy.Popularity)]
    public void Response_strategies_map_to_the_outcome_strategy_they_count_under(string strategy, ServedStrategy expected) =>
        Assert.Equal(expected, RecommendationIds.StrategyOf(strategy));
}
