using System.Buffers;
using System.Globalization;
using System.Numerics.Tensors;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// Scoring: every item of the bundle by the blend of the user's cohort (or the global blend), the user folded in from
/// their items unless nothing happened since training. No candidate pre-selection (see <see cref="RecommendationPipeline"/>).
/// </summary>
internal static class ScoreStage
{
    /// <summary>The scorer's group of the request's cohort, or −1 (global) with a reason when the bundle has no model for it.</summary>
    public static int GroupOf(ModelBundle bundle, ServingIndex index, int? cohortId, out string? fallbackReason)
    {
        fallbackReason = null;
        if (cohortId is not { } id)
        {
            return -1;
        }

        if (bundle.GroupOf(id) is { } g && g < index.GroupWeights.Length)
        {
            return g;
        }

        fallbackReason = string.Create(CultureInfo.InvariantCulture, $"cohort {id} has no model in version {bundle.Version}");
        return -1;
    }

    /// <summary>
    /// Without any history the blend has nothing to score by unless the cohort adopted its own popularity; otherwise a
    /// user with only a (provisional) cohort is a cold start ranked by popularity and the cohort's live trending items.
    /// </summary>
    public static bool CanScore(ServingIndex index, int group, in ServingHistory history) =>
        history.FoldIn.Length > 0 || (group >= 0 && !index.CohortPopularityOf(group).IsEmpty);

    /// <param name="user">The user's row in the bundle, or −1.</param>
    public static ServingScores Score(ModelBundle bundle, ServingIndex index, int group, int user, in ServingHistory history)
    {
        var n = index.ItemCount;
        var total = ServingScores.RentTotal(n);
        var weights = index.WeightsOf(group);
        var parts = ArrayPool<float>.Shared.Rent(Math.Max(1, index.SignalCount * n));
        Blend(bundle, index, weights, group, user >= 0 && !history.HasNew ? user : -1, history.FoldIn, parts, total.AsSpan(0, n));
        // "cohort-model" only when the cohort's own weights serve: a cohort whose adaptation training did not adopt is
        // scored by the global blend, and its outcomes must count as the global model's.
        return new ServingScores(index.IsAdapted(group) ? RecommendationPipeline.CohortModel : RecommendationPipeline.GlobalModel, weights, total, n, parts);
    }

    private static void Blend(ModelBundle bundle, ServingIndex index, float[] weights, int group, int trainedUser, ReadOnlySpan<int> foldIn, float[] parts, Span<float> total)
    {
        var n = index.ItemCount;
        total.Clear();
        var signals = bundle.Scorer.Signals;
        for (var s = 0; s < index.SignalCount; s++)
        {
            var part = parts.AsSpan(s * n, n);
            if (weights[s] == 0)
            {
                continue;
            }

            // A known user with nothing new since training is scored exactly as training scored them (parity);
            // anyone else is folded in from their items.
            var model = signals[s].Model;
            var known = trainedUser >= 0 && trainedUser < model.UserCount;
            if (index.StandardizedPopularity[s] is { Length: > 0 } rows && model is PopularityRecommender popularity)
            {
                // Same numbers as scoring and standardizing here (popularity depends on the user's group only).
                var g = known ? popularity.GroupOfUser(trainedUser) : -1;
                rows[(uint)g < (uint)popularity.GroupCount ? g : popularity.GroupCount].CopyTo(part);
            }
            else
            {
                if (known)
                {
                    model.Score(trainedUser, part);
                }
                else
                {
                    model.ScoreItems(foldIn, part);
                }

                ScoreScaling.Standardize(part);
            }

            TensorPrimitives.MultiplyAdd(part, weights[s], total, total);
        }

        var cohortPopularity = index.CohortPopularityOf(group);
        if (!cohortPopularity.IsEmpty)
        {
            TensorPrimitives.Add(total, cohortPopularity, total);
        }
    }
}
