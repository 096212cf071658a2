using System.Buffers;
using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>What the ranker stage did to a request's pool, kept for the explanations.</summary>
internal sealed class RankedPool(CandidateRanker ranker, double scale, double offset, Dictionary<ServingCandidate, float[]>? rows)
{
    public CandidateRanker Ranker { get; } = ranker;

    /// <summary>Ranker score → served relevance: relevance = offset + scale × ranker score.</summary>
    public double Scale { get; } = scale;

    public double Offset { get; } = offset;

    /// <summary>Feature rows of the kept candidates (explain=true only).</summary>
    public Dictionary<ServingCandidate, float[]>? Rows { get; } = rows;
}

/// <summary>
/// The learned re-rank (LambdaMART, <see cref="CandidateRanker"/>): for a cohort where training found the ranker beats
/// the blend on holdout (or when an experiment's treatment switches it on), the blend's best
/// <see cref="RankerModel.Candidates"/> eligible items are re-ordered by the ranker, then cut back to the pool the
/// later stages expect. The ranker's scores are mapped onto the pool's blend scale (same mean and spread), so the
/// context lift and MMR's relevance/similarity trade-off keep the meaning they have for blend-served cohorts. Runs
/// after the filters, before new items, context, diversity and exploration.
/// </summary>
internal static class RankerStage
{
    /// <summary>Whether the ranker orders this request: the bundle has one, the blend scored the user, and the cohort or the request says so.</summary>
    public static bool Serves(ModelBundle bundle, ServingIndex index, ServingRequest request, in ServingScores scores)
    {
        if (bundle.Ranker is not { Model: { } model } ranker || scores.Parts is null || model.FeatureNames.Count != RankerFeatures.Count(index))
        {
            return false;
        }

        return request.UseRanker ?? ranker.ServesCohort(request.GlobalWeights ? null : request.CohortId);
    }

    /// <summary>How many candidates the filter stage should select: the ranker's candidate count when it serves.</summary>
    public static int PoolSize(ModelBundle bundle, bool serves, int want) =>
        serves && bundle.Ranker is { } ranker ? Math.Max(want, ranker.Candidates) : want;

    /// <summary>Re-orders <paramref name="pool"/> by the ranker and keeps its best <paramref name="keep"/>; null when it does not serve.</summary>
    public static RankedPool? Rerank(ModelBundle bundle, ServingIndex index, ServingRequest request, int group, bool serves, in ServingScores scores, in ServingHistory history, List<ServingCandidate> pool, int keep)
    {
        if (!serves || bundle.Ranker?.Model is not { } ranker || pool.Count == 0)
        {
            return null;
        }

        var n = pool.Count;
        var width = RankerFeatures.Count(index);
        var rows = RankerFeatures.For(bundle, index, request, group, scores, history).FillAll(pool, width);
        var ranked = ArrayPool<double>.Shared.Rent(n);
        var keys = ArrayPool<RankKey>.Shared.Rent(n);
        var reordered = ArrayPool<ServingCandidate>.Shared.Rent(n);
        try
        {
            ranker.ScoreAll(rows.AsSpan(0, n * width), width, ranked.AsSpan(0, n));
            double blendSum = 0, blendSquares = 0, rankSum = 0, rankSquares = 0;
            for (var c = 0; c < n; c++)
            {
                var r = ranked[c];
                rankSum += r;
                rankSquares += r * r;
                blendSum += pool[c].Relevance;
                blendSquares += pool[c].Relevance * pool[c].Relevance;
                keys[c] = new RankKey(r, pool[c].Order, c);
            }

            var blendMean = blendSum / n;
            var blendSd = Math.Sqrt(Math.Max(0, (blendSquares / n) - (blendMean * blendMean)));
            var rankMean = rankSum / n;
            var rankSd = Math.Sqrt(Math.Max(0, (rankSquares / n) - (rankMean * rankMean)));
            var scale = rankSd > 1e-12 && blendSd > 1e-12 ? blendSd / rankSd : 1;
            var offset = blendMean - (scale * rankMean);

            // A struct key sorts without a comparison delegate or a closure per request.
            keys.AsSpan(0, n).Sort();
            var kept = Math.Min(n, Math.Max(0, keep));
            Dictionary<ServingCandidate, float[]>? explainRows = request.Explain ? new(kept) : null;
            for (var k = 0; k < kept; k++)
            {
                var c = keys[k].Index;
                var old = pool[c];
                var candidate = old.Reset(old.Item, old.Id, offset + (scale * ranked[c]), k, old.Category); // each old candidate once (a permutation)
                reordered[k] = candidate;
                explainRows?.Add(candidate, rows.AsSpan(c * width, width).ToArray());
            }

            pool.Clear();
            pool.AddRange(reordered.AsSpan(0, kept));
            return new RankedPool(ranker, scale, offset, explainRows);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
            ArrayPool<double>.Shared.Return(ranked);
            ArrayPool<RankKey>.Shared.Return(keys);
            ArrayPool<ServingCandidate>.Shared.Return(reordered, clearArray: true);
        }
    }

    /// <summary>
    /// With explain=true, a ranker-ordered item's contributions are the ranker's features (scaled onto the served
    /// relevance), the ranker's base value, and the context lift; they add up to the served score.
    /// </summary>
    public static void Explain(RankedPool? ranked, (ServingCandidate Candidate, bool Explored)[] picks, ServedItem[] items)
    {
        if (ranked?.Rows is not { } rows)
        {
            return;
        }

        var names = ranked.Ranker.FeatureNames;
        var contributions = new double[names.Count];
        for (var p = 0; p < picks.Length; p++)
        {
            var c = picks[p].Candidate;
            if (!rows.TryGetValue(c, out var row))
            {
                continue;
            }

            ranked.Ranker.Contributions(row, contributions);
            var list = new List<FeatureContribution>(names.Count + 2)
            {
                new("ranker_base", ranked.Offset + (ranked.Scale * ranked.Ranker.ExpectedValue)),
            };
            for (var f = 0; f < names.Count; f++)
            {
                if (contributions[f] != 0)
                {
                    list.Add(new FeatureContribution("ranker:" + names[f], ranked.Scale * contributions[f]));
                }
            }

            list.Add(new FeatureContribution("context", c.Score - c.Relevance));
            items[p] = items[p] with { Contributions = list };
        }
    }

    /// <summary>
    /// Training's view of a request: the blend's best <paramref name="candidates"/> eligible items in blend order with
    /// the ranker's feature rows, built by the serving stages themselves (history, score, filters), so the ranker
    /// learns and is compared on what it will re-rank. Empty when the blend cannot score the user.
    /// </summary>
    public static (int[] Items, FeatureMatrix Features) Candidates(ModelBundle bundle, ServingRequest request, int candidates) =>
        Candidates(bundle, request, candidates, trainedRow: true);

    /// <param name="trainedRow">
    /// False: the user is scored from the request's recent items alone (folded in), as a user the bundle did not train
    /// on — how the promotion gate scores both versions on one history (<see cref="Training.PromotionEvidence"/>).
    /// </param>
    internal static (int[] Items, FeatureMatrix Features) Candidates(ModelBundle bundle, ServingRequest request, int candidates, bool trainedRow)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(request);
        var index = ServingIndex.Of(bundle);
        var group = request.GlobalWeights ? -1 : ScoreStage.GroupOf(bundle, index, request.CohortId, out _);
        var user = trainedRow && bundle.UserIndex(request.UserId) is { } u && u < bundle.UserItems.Rows ? u : -1;
        using var history = ServingHistory.Read(bundle, request, user);
        if (!ScoreStage.CanScore(index, group, history))
        {
            return ([], new FeatureMatrix(0, RankerFeatures.Count(index)));
        }

        using var scores = ScoreStage.Score(bundle, index, group, user, history);
        var pool = FilterStage.SelectPool(bundle, index, request, scores.Total, history.ExcludedSorted, candidates);
        var width = RankerFeatures.Count(index);
        var features = new FeatureMatrix(pool.Count, width);
        var builder = RankerFeatures.For(bundle, index, request, group, scores, history);
        var items = new int[pool.Count];
        for (var c = 0; c < pool.Count; c++)
        {
            items[c] = pool[c].Item;
            builder.Fill(pool[c], features.Row(c));
        }

        return (items, features);
    }

    /// <summary>
    /// A candidate's place in the ranker's order: higher score first; ties keep the blend's order (so a ranker that
    /// cannot tell two candidates apart leaves them as they were), then the pool position, so the order is total and
    /// any sort gives the one result.
    /// </summary>
    internal readonly record struct RankKey(double Score, int Order, int Index) : IComparable<RankKey>
    {
        public int CompareTo(RankKey other)
        {
            var byScore = other.Score.CompareTo(Score);
            if (byScore != 0)
            {
                return byScore;
            }

            var byOrder = Order.CompareTo(other.Order);
            return byOrder != 0 ? byOrder : Index.CompareTo(other.Index);
        }
    }
}
