using Cohortly.Contracts;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Repeats;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// Buy again: the user's due repeat purchases (<see cref="RepeatModel.Due"/> on the bundle's repeat cycles, the
/// purchases since training from the live profile, and the live catalog's repeat policy per item) lead the list, at
/// most <see cref="ServingRequest.BuyAgainSlots"/> of them; the model's picks follow. Items whose policy is
/// <see cref="RepeatPolicy.Never"/> stay excluded as before, and the model's own ranking never serves a purchased item
/// (the excluded set is unchanged), so a repeat item reaches the list only through this stage, with its own reason.
/// </summary>
internal static class BuyAgainStage
{
    /// <summary>The due items as candidates (best first), or null when the request asks for none or none is due.</summary>
    public static List<ServingCandidate>? Select(ModelBundle bundle, ServingIndex index, ServingRequest request, int user, ReadOnlySpan<float> total, RulesStage? rules, int count)
    {
        var slots = Math.Min(request.BuyAgainSlots, count);
        if (slots <= 0 || bundle.Repeats is not { } repeats || request.RepeatPolicyOf is not { } policyOf)
        {
            return null;
        }

        var newer = Newer(bundle, request);
        var due = repeats.Due(
            user,
            newer,
            item => policyOf(bundle.ItemIds[item]),
            item => FilterStage.IsAvailable(request, item, bundle.ItemIds[item])
                && FilterStage.PassesCategories(request, bundle, item)
                && (rules is null || rules.Admits(item, bundle.ItemIds[item])),
            request.Now.ToUnixTimeMilliseconds(),
            slots);
        if (due.Count == 0)
        {
            return null;
        }

        var candidates = new List<ServingCandidate>(due.Count);
        foreach (var d in due)
        {
            var score = d.Item < total.Length ? total[d.Item] : 0;
            var category = index.ItemCategory[d.Item] is var c && c >= 0 ? index.CategoryNames[c] : null;
            candidates.Add(new ServingCandidate(d.Item, bundle.ItemIds[d.Item], score, candidates.Count) { Category = category, BuyAgain = d });
        }

        return candidates;
    }

    /// <summary>
    /// The buy-again items in the leading slots, then the picks (a pick that is also due is dropped: it already has its
    /// slot), with each pick's logged exploration decision moved along with it.
    /// </summary>
    public static (ServingCandidate Candidate, bool Explored)[] Place(
        (ServingCandidate Candidate, bool Explored)[] picks, List<ServingCandidate> due, ref SlotDecision[]? decisions)
    {
        var placed = new List<(ServingCandidate Candidate, bool Explored)>(picks.Length + due.Count);
        var moved = decisions is null ? null : new List<SlotDecision>(picks.Length + due.Count);
        foreach (var d in due)
        {
            placed.Add((d, false));
            moved?.Add(default);
        }

        for (var p = 0; p < picks.Length; p++)
        {
            if (IsDue(due, picks[p].Candidate.Item))
            {
                continue;
            }

            placed.Add(picks[p]);
            moved?.Add(decisions is not null && p < decisions.Length ? decisions[p] : default);
        }

        decisions = moved?.ToArray();
        return [.. placed];
    }

    private static bool IsDue(List<ServingCandidate> due, int item)
    {
        foreach (var d in due)
        {
            if (d.Item == item && item >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The live profile's purchases of items the bundle knows (newer than the model or not: the model dedupes by time).</summary>
    private static RecentPurchase[] Newer(ModelBundle bundle, ServingRequest request)
    {
        var n = 0;
        foreach (var r in request.RecentItems)
        {
            if (r.Type == InteractionType.Purchase)
            {
                n++;
            }
        }

        if (n == 0)
        {
            return [];
        }

        var newer = new RecentPurchase[n];
        var k = 0;
        foreach (var r in request.RecentItems)
        {
            if (r.Type == InteractionType.Purchase && bundle.ItemIndex(r.ItemId) is { } item)
            {
                newer[k++] = new RecentPurchase(item, r.TimestampMs);
            }
        }

        return k == n ? newer : newer[..k];
    }
}
