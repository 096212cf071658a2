using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Training;

/// <summary>What the ranker learns from and is compared on, per user of the holdout.</summary>
internal sealed record RankerUser(int User, string UserId, int CohortId, float[] Profile, string? Device);

/// <summary>
/// Fits the learned re-ranker and decides per cohort whether it serves. The probe bundle is the run's models fitted
/// without the holdout, so candidates and features come from the serving stages themselves
/// (<see cref="RankerStage.Candidates"/>) exactly as they will when the ranker serves. The holdout users are split in
/// two by a seeded shuffle: the ranker learns on one half (label: the user's held-out positives among the blend's
/// candidates) and is compared with the blend on the other, per cohort, on the same candidates — the blend's order vs
/// the ranker's order, NDCG@K against all the user's held-out items. A cohort is served by the ranker only when it
/// has enough comparison users and the mean paired gain is positive and at least
/// <see cref="TrainingOptions.RankerMinGainStandardErrors"/> standard errors.
/// </summary>
internal static class RankerTraining
{
    public static RankerModel Fit(ModelBundle probe, SparseMatrix holdout, IReadOnlyList<RankerUser> users, IReadOnlyList<int> cohortIds, TrainingOptions options, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var candidates = options.RankerCandidates;
        var k = options.Cohorts.K;
        var order = new int[users.Count];
        for (var x = 0; x < order.Length; x++)
        {
            order[x] = x;
        }

        new Random(options.Seed + 20).Shuffle(order);
        var fitCount = order.Length / 2;
        var fit = order[..fitCount];
        var compare = order[fitCount..];
        Array.Sort(fit);
        Array.Sort(compare);

        var fitQueries = new RankerQuery?[fit.Length];
        Parallel.For(0, fit.Length, new ParallelOptions { CancellationToken = cancellationToken }, x =>
        {
            var user = users[fit[x]];
            var (items, features) = RankerStage.Candidates(probe, Request(user, now, k), candidates);
            var relevant = new bool[items.Length];
            for (var c = 0; c < items.Length; c++)
            {
                relevant[c] = holdout.Contains(user.User, items[c]);
            }

            fitQueries[x] = items.Length == 0 ? null : new RankerQuery(features, relevant);
        });

        var queries = new List<RankerQuery>(fit.Length);
        foreach (var q in fitQueries)
        {
            if (q is not null)
            {
                queries.Add(q);
            }
        }

        var names = RankerFeatures.Names(ServingIndex.Of(probe));
        var ranker = CandidateRanker.Fit(queries, names, options.RankerModel with { Seed = options.Seed + 21 }, cancellationToken);
        if (ranker is null)
        {
            return new RankerModel(null, candidates, [], $"no training user had a held-out item among the blend's {candidates} candidates");
        }

        var blend = new double[compare.Length];
        var ranked = new double[compare.Length];
        var scored = new bool[compare.Length];
        Parallel.For(0, compare.Length, new ParallelOptions { CancellationToken = cancellationToken }, x =>
        {
            var user = users[compare[x]];
            var (items, features) = RankerStage.Candidates(probe, Request(user, now, k), candidates);
            if (items.Length == 0)
            {
                return;
            }

            var relevant = holdout.RowColumns(user.User);
            var top = Math.Min(k, items.Length);
            blend[x] = RankingMetrics.Compute(items.AsSpan(0, top), relevant, k).Ndcg;
            ranked[x] = RankingMetrics.Compute(RankedTop(ranker, items, features, k), relevant, k).Ndcg;
            scored[x] = true;
        });

        var reports = new List<RankerCohortReport>(cohortIds.Count);
        var serving = 0;
        foreach (var cohort in cohortIds)
        {
            double sumBlend = 0, sumRanked = 0, sumDiff = 0, sumDiff2 = 0;
            var n = 0;
            for (var x = 0; x < compare.Length; x++)
            {
                if (!scored[x] || users[compare[x]].CohortId != cohort)
                {
                    continue;
                }

                var d = ranked[x] - blend[x];
                sumBlend += blend[x];
                sumRanked += ranked[x];
                sumDiff += d;
                sumDiff2 += d * d;
                n++;
            }

            var meanDiff = n == 0 ? 0 : sumDiff / n;
            var variance = n < 2 ? double.PositiveInfinity : Math.Max(0, (sumDiff2 - (n * meanDiff * meanDiff)) / (n - 1));
            var se = Math.Sqrt(variance / Math.Max(1, n));
            var serves = n >= options.RankerMinUsers && meanDiff > 0 && meanDiff >= options.RankerMinGainStandardErrors * se;
            serving += serves ? 1 : 0;
            reports.Add(new RankerCohortReport(cohort, n, n == 0 ? 0 : sumBlend / n, n == 0 ? 0 : sumRanked / n, double.IsFinite(se) ? se : 0, serves));
        }

        return new RankerModel(ranker, candidates, reports, $"learned from {queries.Count} users; serves {serving} of {cohortIds.Count} cohorts");
    }

    /// <summary>The top <paramref name="k"/> of the blend's candidates in the ranker's order (ties in blend order), as the serving stage orders them.</summary>
    public static int[] RankedTop(CandidateRanker ranker, int[] items, FeatureMatrix features, int k)
    {
        var scores = new double[items.Length];
        var byRanker = new int[items.Length];
        for (var c = 0; c < items.Length; c++)
        {
            scores[c] = ranker.Score(features.ReadRow(c));
            byRanker[c] = c;
        }

        Array.Sort(byRanker, (a, b) =>
        {
            var byScore = scores[b].CompareTo(scores[a]);
            return byScore != 0 ? byScore : a.CompareTo(b);
        });
        var list = new int[Math.Min(k, items.Length)];
        for (var c = 0; c < list.Length; c++)
        {
            list[c] = items[byRanker[c]];
        }

        return list;
    }

    private static ServingRequest Request(RankerUser user, DateTimeOffset now, int k) => new()
    {
        UserId = user.UserId,
        CohortId = user.CohortId,
        Now = now,
        Count = k,
        Device = user.Device,
        ProfileFeatures = user.Profile,
        Explore = false,
    };
}
