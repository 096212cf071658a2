using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// Context re-rank: each known item's score times its learned device, hour-of-day and other context-key lifts (bounded by the
/// statistics' lift range; a negative relevance is divided so a lift still helps), then the pool in score order,
/// ties by relevance order.
/// </summary>
internal static class ContextStage
{
    public static void Rerank(ModelBundle bundle, ServingRequest request, List<ServingCandidate> pool)
    {
        var hour = request.Now.UtcDateTime.Hour;
        foreach (var c in pool)
        {
            if (c.Item >= 0)
            {
                var lift = bundle.Context.Lift(c.Item, request.Device, hour, request.Context);
                c.Score = c.Relevance >= 0 ? c.Relevance * lift : c.Relevance / lift;
            }
        }

        pool.Sort(static (a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : a.Order.CompareTo(b.Order);
        });
    }
}
