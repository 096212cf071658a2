using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Users;

/// <summary>What became of an event's attribution to a served recommendation.</summary>
public enum AttributionResult
{
    /// <summary>The type is never attributed (views, ratings, dismissals).</summary>
    NotAttributable = 0,

    /// <summary>No remembered response within the window (with the given id, or containing the item).</summary>
    Unmatched,

    /// <summary>The response named by the event's id does not contain the item.</summary>
    ItemNotServed,

    /// <summary>An event of the same type was already attributed to this response's item: only the first counts.</summary>
    AlreadyCounted,

    /// <summary>Counted.</summary>
    Attributed,
}

/// <summary>
/// An event's attribution. <see cref="BanditReward"/> is set for the first rewarding event on a served item (any
/// type), so a cohort's arm never gets more rewards than impressions; <see cref="PositionIgnored"/> when the event's
/// position disagreed with the slot that holds the item (the slot decides).
/// </summary>
public readonly record struct Attribution(
    AttributionResult Result,
    int? CohortId = null,
    string? ItemId = null,
    double? BanditReward = null,
    bool PositionIgnored = false);

/// <summary>The feedback reference an event may carry: the response it answers and the slot in it.</summary>
public readonly record struct FeedbackReference(Guid? RecommendationId, int? Position);

/// <summary>
/// Matches events to the responses a user was served. With a recommendation id: that response, if it was served at
/// most the attribution window before the event was received and contains the item. Without one: the most recent
/// response within the window that contains the item. An event received before a response was served is never
/// attributed to it. Only the first click, add-to-cart and purchase per (response, item) count.
/// </summary>
public static class RecommendationAttribution
{
    /// <summary>
    /// Attributes one event received at <paramref name="receivedAt"/> (the gateway's stamp: a replay from the log
    /// decides as the first delivery did) and records its outcomes.
    /// </summary>
    public static Attribution Attribute(
        ServedLog recent,
        in Interaction e,
        DateTimeOffset receivedAt,
        FeedbackReference reference,
        TimeSpan window,
        IOutcomeRecorder outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var semantics = EventTypes.Of(e.Type);
        if (semantics.Outcome == AttributedOutcome.None)
        {
            return default;
        }

        if (recent is null || recent.Count == 0)
        {
            return new Attribution(AttributionResult.Unmatched);
        }

        var at = receivedAt.ToUnixTimeMilliseconds();
        var windowMs = (long)window.TotalMilliseconds;
        ServedRecommendation match = default;
        var matched = false;
        var slot = -1;
        var positionIgnored = false;
        if (reference.RecommendationId is { } id)
        {
            for (var i = recent.Count - 1; i >= 0; i--)
            {
                if (recent[i].Id == id)
                {
                    match = recent[i];
                    matched = true;
                    break;
                }
            }

            if (!matched || !Within(match, at, windowMs))
            {
                return new Attribution(AttributionResult.Unmatched);
            }

            slot = match.SlotOf(e.ItemId);
            if (slot < 0)
            {
                return new Attribution(AttributionResult.ItemNotServed);
            }

            positionIgnored = reference.Position is { } position && position != slot;
        }
        else
        {
            // Newest first: the most recent response that showed the item is the one the user most likely acted on.
            for (var i = recent.Count - 1; i >= 0 && !matched; i--)
            {
                if (Within(recent[i], at, windowMs) && recent[i].SlotOf(e.ItemId) is var s and >= 0)
                {
                    match = recent[i];
                    matched = true;
                    slot = s;
                }
            }

            if (!matched)
            {
                return new Attribution(AttributionResult.Unmatched);
            }
        }

        var flag = semantics.Outcome switch
        {
            AttributedOutcome.Click => ServedLog.ClickedFlag,
            AttributedOutcome.AddToCart => ServedLog.CartedFlag,
            _ => ServedLog.PurchasedFlag,
        };
        var flags = match.FlagsAt(slot);
        if ((flags & flag) != 0)
        {
            return new Attribution(AttributionResult.AlreadyCounted, match.CohortId, match.ItemAt(slot), PositionIgnored: positionIgnored);
        }

        const byte Rewarded = ServedLog.ClickedFlag | ServedLog.CartedFlag | ServedLog.PurchasedFlag;
        var firstReward = (flags & Rewarded) == 0;
        var firstOfResponse = semantics.Outcome is AttributedOutcome.Click or AttributedOutcome.Purchase && !match.AnySlot(flag);
        match.AddFlags(slot, flag);

        var delta = default(OutcomeCounts);
        switch (semantics.Outcome)
        {
            case AttributedOutcome.Click:
                delta.Clicks = 1;
                // The first click on a logged slot decision is its reward for off-policy evaluation.
                if (match.DecisionAt(slot) is { IsLogged: true } decision)
                {
                    delta.Decisions = Experiments.SlotDecisionSums.Rewarded(decision);
                }

                break;
            case AttributedOutcome.AddToCart:
                delta.AddToCarts = 1;
                break;
            default:
                var revenue = e.Value is { } v && double.IsFinite(v) && v > 0 ? v : 0;
                delta.Purchases = 1;
                delta.Revenue = revenue;
                delta.RevenueSquares = revenue * revenue;
                break;
        }

        var responseDelta = default(OutcomeCounts);
        if (firstOfResponse)
        {
            if (semantics.Outcome == AttributedOutcome.Click)
            {
                responseDelta.ClickedExposures = 1;
            }
            else
            {
                responseDelta.ConvertedExposures = 1;
            }
        }

        if (match.IsExplored(slot) || match.IsBuyAgain(slot) || match.RuleAt(slot) is not null)
        {
            // An explored, buy-again or ruled slot counts under its own key; the response's clicked / converted exposure stays
            // under the response's key (a response is never a rule's).
            outcomes.Record(match.KeyOf(slot), delta, receivedAt);
            if (!responseDelta.IsEmpty)
            {
                outcomes.Record(match.Key, responseDelta, receivedAt);
            }
        }
        else
        {
            // The slot's key is the response's key: one record carries both.
            outcomes.Record(match.Key, delta.Plus(responseDelta), receivedAt);
        }

        return new Attribution(AttributionResult.Attributed, match.CohortId, match.ItemAt(slot), firstReward ? semantics.Reward : null, positionIgnored);
    }

    private static bool Within(in ServedRecommendation served, long atMs, long windowMs) =>
        atMs >= served.ServedAtMs && atMs - served.ServedAtMs <= windowMs;
}
