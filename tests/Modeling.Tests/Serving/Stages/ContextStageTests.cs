using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class ContextStageTests
{
    /// <summary>An item, device and hour whose learned lift is clearly not 1.</summary>
    private static (int Item, string Device, float Lift) Lifted()
    {
        var bundle = StageWorld.World.Bundle;
        var hour = StageWorld.Now.UtcDateTime.Hour;
        foreach (var device in new[] { "mobile", "desktop", "tablet" })
        {
            for (var i = 0; i < bundle.ItemIds.Count; i++)
            {
                var lift = bundle.Context.Lift(i, device, hour);
                if (Math.Abs(lift - 1) > 0.05)
                {
                    return (i, device, lift);
                }
            }
        }

        throw new InvalidOperationException("no lifted item in the synthetic world");
    }

    [Fact]
    public void A_lift_multiplies_a_positive_relevance_and_divides_a_negative_one()
    {
        var (item, device, lift) = Lifted();
        var pool = new List<ServingCandidate> { new(item, "positive", 2.0, 0), new(item, "negative", -2.0, 1), new(-1, "new", 0.5, 2) };

        ContextStage.Rerank(StageWorld.World.Bundle, StageWorld.Request() with { Device = device }, pool);

        var byId = pool.ToDictionary(c => c.Id);
        Assert.Equal(2.0 * lift, byId["positive"].Score, 6);
        Assert.Equal(-2.0 / lift, byId["negative"].Score, 6);
        Assert.Equal(0.5, byId["new"].Score);
        Assert.All(pool, c => Assert.Equal(c.Id == "positive" ? 2.0 : c.Id == "negative" ? -2.0 : 0.5, c.Relevance));
    }

    [Fact]
    public void The_pool_ends_in_score_order_with_ties_in_relevance_order()
    {
        var pool = new List<ServingCandidate> { new(-1, "c", 1.0, 2), new(-1, "a", 1.0, 0), new(-1, "top", 3.0, 3), new(-1, "b", 1.0, 1) };

        ContextStage.Rerank(StageWorld.World.Bundle, StageWorld.Request(), pool);

        Assert.Equal(["top", "a", "b", "c"], pool.Select(c => c.Id));
    }
}
