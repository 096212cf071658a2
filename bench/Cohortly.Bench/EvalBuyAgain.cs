using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Repeats;

namespace Cohortly.Bench;

/// <summary>
/// <c>evaluate --buy-again SLOTS</c>: a model's test lists with the serving pipeline's buy-again slots in front. The
/// repeat cycles are learned from the fitting history (train + validation) by <see cref="RepeatModel.Learn"/> — the
/// function training calls — and each evaluated user's due items are <see cref="RepeatModel.Due"/> at that user's
/// first test event (the global test cut for a global-time split), as the serving stage asks it; the model's list
/// fills the remaining slots in its order. Every item gets <paramref name="policy"/> (the catalog has none offline).
/// The test's relevant pairs are the same as the model's own row: repeat pairs (a test item the user already had in
/// the history) were always counted there, and only a buy-again slot can hit them, because the model's ranking excludes
/// the history. Purchases are the rows of event type <c>purchase</c> when the data has event types, else every row (a
/// purchase log).
/// </summary>
internal static class EvalBuyAgain
{
    public sealed record Outcome(EvaluationResult Test, int UsersWithDue, int DueServed, int DueHits, double RepeatShare, int Repeaters);

    public static Outcome Run(RankingEvaluator test, IRecommender model, DatasetSplit split, int slots, RepeatPolicy policy)
    {
        var history = InteractionDataset.Concat(split.Train, split.Validation);
        var repeats = Learn(history);
        var now = UserNowMs(split);
        var known = SparseMatrix.UserItem(history);
        var relevant = SparseMatrix.UserItem(split.Test);
        var k = test.Options.K;
        var lists = test.Recommend(model);
        var users = test.EvaluatedUsers;
        int withDue = 0, served = 0, hits = 0;
        var merged = new int[lists.Length];
        for (var x = 0; x < users.Length; x++)
        {
            var u = users[x];
            var due = repeats.Due(u, [], _ => policy, null, now[u], Math.Min(slots, k));
            var row = merged.AsSpan(x * k, k);
            row.Fill(-1);
            var n = 0;
            foreach (var d in due)
            {
                row[n++] = d.Item;
                hits += relevant.RowColumns(u).BinarySearch(d.Item) >= 0 ? 1 : 0;
            }

            withDue += due.Count > 0 ? 1 : 0;
            served += due.Count;
            var own = lists.AsSpan(x * k, k);
            for (var p = 0; p < k && n < k; p++)
            {
                if (own[p] >= 0 && row[..n].IndexOf(own[p]) < 0)
                {
                    row[n++] = own[p];
                }
            }
        }

        // The share of the test's (user, item) pairs the user already had in the history.
        long pairs = 0, repeatPairs = 0;
        for (var u = 0; u < relevant.Rows; u++)
        {
            foreach (var i in relevant.RowColumns(u))
            {
                pairs++;
                repeatPairs += known.RowColumns(u).BinarySearch(i) >= 0 ? 1 : 0;
            }
        }

        return new Outcome(test.EvaluateLists(merged), withDue, served, hits, pairs == 0 ? 0 : (double)repeatPairs / pairs, repeats.GlobalRepeaters);
    }

    private static RepeatModel Learn(InteractionDataset history)
    {
        var purchase = -1;
        if (history.HasEventTypes)
        {
            var names = history.Catalog.EventTypeNames;
            for (var t = 0; t < names.Count; t++)
            {
                purchase = string.Equals(names[t], "purchase", StringComparison.OrdinalIgnoreCase) ? t : purchase;
            }
        }

        var users = new List<int>();
        var items = new List<int>();
        var times = new List<long>();
        for (var r = 0; r < history.Count; r++)
        {
            if (purchase < 0 || history.EventTypes[r] == purchase)
            {
                users.Add(history.Users[r]);
                items.Add(history.Items[r]);
                times.Add(history.Timestamps[r] * 1000);
            }
        }

        var categories = new string?[history.ItemCount];
        for (var i = 0; i < categories.Length; i++)
        {
            categories[i] = history.Catalog.ItemMetadata(i) is { Categories.Count: > 0 } m ? m.Categories[0] : null;
        }

        return RepeatModel.Learn([.. users], [.. items], [.. times], history.UserCount, categories, new RepeatOptions());
    }

    /// <summary>Per user, the moment the test asks about: the global test cut, else the user's first test event (unix ms).</summary>
    private static long[] UserNowMs(DatasetSplit split)
    {
        var now = new long[split.Catalog.UserCount];
        Array.Fill(now, long.MaxValue);
        var test = split.Test;
        for (var r = 0; r < test.Count; r++)
        {
            var u = test.Users[r];
            now[u] = Math.Min(now[u], (split.TestCut ?? test.Timestamps[r]) * 1000);
        }

        return now;
    }
}
