using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Outcomes;
using Cohortly.Modeling.Users;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Users;

public sealed class UserStateAttributionTests
{
    private static readonly DateTimeOffset T0 = ServedScenario.T0;
    private static readonly UserStateOptions Options = UserStateOptions.Default with { AttributionWindow = TimeSpan.FromHours(24), RecentRecommendations = 4 };
    private static readonly OutcomeKey CohortKey = ServedScenario.CohortKey;

    private readonly RecordingOutcomeRecorder _outcomes = new();

    private static Guid Id(int n) => new(n, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0]);

    /// <summary>Serves a response of <paramref name="items"/> (a leading '*' marks an explored slot).</summary>
    private ServedRecommendation Serve(UserState state, Guid id, DateTimeOffset at, params string[] items)
    {
        var served = state.RememberCohortResponse(items.Length, Options, id, at);
        for (var i = 0; i < items.Length; i++)
        {
            served.SetSlot(i, items[i].TrimStart('*'), items[i].StartsWith('*'));
        }

        served.RecordExposure(_outcomes);
        return served;
    }

    private Attribution Event(UserState state, string item, InteractionType type, DateTimeOffset at, Guid? id = null, int? position = null, double? value = null) =>
        state.ApplyAt(item, type, at, Options, _outcomes, value, reference: new FeedbackReference(id, position));

    [Fact]
    public void Exposure_counts_one_response_and_its_non_explored_impressions_and_explored_impressions_apart()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a", "*b", "c");

        Assert.Equal(new OutcomeCounts { Exposures = 1, Impressions = 2 }, _outcomes.Total(CohortKey));
        Assert.Equal(new OutcomeCounts { Impressions = 1 }, _outcomes.Total(CohortKey with { Strategy = ServedStrategy.Explored }));
    }

    [Fact]
    public void Click_with_a_recommendation_id_is_attributed_to_that_response_not_the_newest()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a", "b");
        var newer = state.Remember(Id(2), T0.AddMinutes(1), 5, 7, ServedStrategy.GlobalModel, 1, Options);
        newer.SetSlot(0, "a", false);
        _outcomes.Clear();

        var result = Event(state, "a", InteractionType.Click, T0.AddMinutes(2), Id(1), position: 0);

        Assert.Equal(AttributionResult.Attributed, result.Result);
        Assert.Equal(3, result.CohortId);
        Assert.Equal(1.0, result.BanditReward);
        Assert.False(result.PositionIgnored);
        Assert.Equal(new OutcomeCounts { Clicks = 1, ClickedExposures = 1 }, _outcomes.Total(CohortKey));
        Assert.Equal(default, _outcomes.Total(k => k.CohortId == 5));
    }

    [Fact]
    public void Without_an_id_the_most_recent_response_within_the_window_that_showed_the_item_gets_the_event()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a", "b");
        var newer = state.Remember(Id(2), T0.AddMinutes(1), 5, 7, ServedStrategy.GlobalModel, 1, Options);
        newer.SetSlot(0, "c", false);
        var newest = state.Remember(Id(3), T0.AddMinutes(2), 6, 7, ServedStrategy.GlobalModel, 1, Options);
        newest.SetSlot(0, "b", false);
        _outcomes.Clear();

        Assert.Equal(6, Event(state, "b", InteractionType.Click, T0.AddMinutes(3)).CohortId);
        Assert.Equal(3, Event(state, "a", InteractionType.Click, T0.AddMinutes(3)).CohortId);
        Assert.Equal(AttributionResult.Unmatched, Event(state, "zzz", InteractionType.Click, T0.AddMinutes(3)).Result);
    }

    [Fact]
    public void Events_outside_the_window_or_before_the_response_are_not_attributed()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a");
        _outcomes.Clear();

        Assert.Equal(AttributionResult.Unmatched, Event(state, "a", InteractionType.Click, T0.AddMinutes(-1), Id(1)).Result);
        Assert.Equal(AttributionResult.Unmatched, Event(state, "a", InteractionType.Click, T0 + Options.AttributionWindow + TimeSpan.FromSeconds(1), Id(1)).Result);
        Assert.Equal(AttributionResult.Unmatched, Event(state, "a", InteractionType.Click, T0 + Options.AttributionWindow + TimeSpan.FromSeconds(1)).Result);
        Assert.Empty(_outcomes.Records);
        Assert.Equal(AttributionResult.Attributed, Event(state, "a", InteractionType.Click, T0 + Options.AttributionWindow, Id(1)).Result);
    }

    [Fact]
    public void An_id_whose_response_lacks_the_item_or_is_unknown_attributes_nothing()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a");
        _outcomes.Clear();

        Assert.Equal(AttributionResult.ItemNotServed, Event(state, "b", InteractionType.Click, T0.AddMinutes(1), Id(1)).Result);
        Assert.Equal(AttributionResult.Unmatched, Event(state, "a", InteractionType.Click, T0.AddMinutes(1), Id(9)).Result);
        Assert.Empty(_outcomes.Records);
    }

    [Fact]
    public void A_disagreeing_position_is_ignored_and_the_slot_that_holds_the_item_decides()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a", "*b");
        _outcomes.Clear();

        var result = Event(state, "b", InteractionType.Click, T0.AddMinutes(1), Id(1), position: 0);

        Assert.True(result.PositionIgnored);
        Assert.Equal(AttributionResult.Attributed, result.Result);
        Assert.Equal(1, _outcomes.Total(CohortKey with { Strategy = ServedStrategy.Explored }).Clicks);
    }

    [Fact]
    public void Only_the_first_event_of_each_type_per_response_and_item_counts()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a", "b");
        _outcomes.Clear();

        Assert.Equal(AttributionResult.Attributed, Event(state, "a", InteractionType.Click, T0.AddMinutes(1), Id(1)).Result);
        Assert.Equal(AttributionResult.AlreadyCounted, Event(state, "a", InteractionType.Click, T0.AddMinutes(2), Id(1)).Result);
        var cart = Event(state, "a", InteractionType.AddToCart, T0.AddMinutes(3), Id(1));
        var otherClick = Event(state, "b", InteractionType.Click, T0.AddMinutes(4), Id(1));

        Assert.Equal(AttributionResult.Attributed, cart.Result);
        Assert.Null(cart.BanditReward); // the item's arm was already rewarded for this response
        Assert.Equal(1.0, otherClick.BanditReward);
        Assert.Equal(new OutcomeCounts { Clicks = 2, AddToCarts = 1, ClickedExposures = 1 }, _outcomes.Total(CohortKey));
    }

    [Fact]
    public void Purchases_count_revenue_and_its_square_and_convert_the_exposure_once()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a", "b");
        _outcomes.Clear();

        Event(state, "a", InteractionType.Purchase, T0.AddMinutes(1), Id(1), value: 30);
        Event(state, "b", InteractionType.Purchase, T0.AddMinutes(2), value: 10);
        Event(state, "b", InteractionType.Purchase, T0.AddMinutes(3), value: 99);

        Assert.Equal(new OutcomeCounts { Purchases = 2, Revenue = 40, RevenueSquares = 1000, ConvertedExposures = 1 }, _outcomes.Total(CohortKey));
    }

    [Fact]
    public void An_explored_slot_counts_under_Explored_while_the_response_keeps_its_clicked_exposure()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a", "*b");
        _outcomes.Clear();

        Event(state, "b", InteractionType.Click, T0.AddMinutes(1), Id(1), position: 1);

        Assert.Equal(new OutcomeCounts { Clicks = 1 }, _outcomes.Total(CohortKey with { Strategy = ServedStrategy.Explored }));
        Assert.Equal(new OutcomeCounts { ClickedExposures = 1 }, _outcomes.Total(CohortKey));
    }

    [Fact]
    public void Views_ratings_and_dismissals_are_not_attributed()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a");
        _outcomes.Clear();

        Assert.Equal(AttributionResult.NotAttributable, Event(state, "a", InteractionType.View, T0.AddMinutes(1), Id(1)).Result);
        Assert.Equal(AttributionResult.NotAttributable, Event(state, "a", InteractionType.Dismiss, T0.AddMinutes(1), Id(1)).Result);
        Assert.Empty(_outcomes.Records);
        Assert.Equal(2, state.Profile.TotalEvents);
    }

    [Fact]
    public void The_list_is_bounded_and_drops_expired_responses()
    {
        var state = new UserState();
        Serve(state, Id(1), T0, "a", "b");
        for (var i = 2; i <= Options.RecentRecommendations; i++)
        {
            Serve(state, Id(i), T0.AddMinutes(i), "c", "d", "e");
        }

        Serve(state, Id(99), T0.AddMinutes(30), "x", "y");

        Assert.Equal(Options.RecentRecommendations, state.Recommendations.Count);
        Assert.Equal(Id(99), state.Recommendations[^1].Id);
        Assert.Equal(AttributionResult.Unmatched, Event(state, "a", InteractionType.Click, T0.AddMinutes(31), Id(1)).Result);

        Serve(state, Id(100), T0.AddDays(2), "z");
        Assert.Equal(1, state.Recommendations.Count);
    }

    [Fact]
    public void Attribution_state_survives_a_json_round_trip_and_an_entry_is_small()
    {
        var state = new UserState();
        var items = Enumerable.Range(0, 10).Select(i => $"item-{i:D4}").ToArray();
        Serve(state, Guid.Parse("0190f3a2c1d24b7e8a9b0c1d2e3f4a5b"), T0, items);
        Event(state, "item-0003", InteractionType.Click, T0.AddMinutes(1));

        var json = JsonSerializer.Serialize(state);
        var back = JsonSerializer.Deserialize<UserState>(json)!;
        var entryBytes = JsonSerializer.SerializeToUtf8Bytes(state.Recommendations).Length - 2;

        // 10 items of 9 characters: 120 bytes of ids, quotes and commas, ~120 for the rest (242 measured).
        Assert.InRange(entryBytes, 150, 260);
        _outcomes.Clear();
        Assert.Equal(AttributionResult.AlreadyCounted, Event(back, "item-0003", InteractionType.Click, T0.AddMinutes(2)).Result);
        Assert.Equal(AttributionResult.Attributed, Event(back, "item-0004", InteractionType.Click, T0.AddMinutes(2), Guid.Parse("0190f3a2c1d24b7e8a9b0c1d2e3f4a5b"), 4).Result);
        Assert.Equal(new OutcomeCounts { Clicks = 1 }, _outcomes.Total(CohortKey));
    }

    [Fact]
    public void A_stored_entry_with_fewer_slot_flags_than_items_attributes_only_the_slots_it_has()
    {
        const string Stored = """{"Recommendations":[{"Id":"0190f3a2-c1d2-4b7e-8a9b-0c1d2e3f4a5b","At":1772366400000,"Cohort":3,"Model":7,"Items":["a","b"],"Slots":"AA=="}]}""";
        var state = JsonSerializer.Deserialize<UserState>(Stored)!;

        Assert.Equal(AttributionResult.Unmatched, Event(state, "b", InteractionType.Click, T0.AddMinutes(1)).Result);
        Assert.Equal(AttributionResult.Attributed, Event(state, "a", InteractionType.Click, T0.AddMinutes(1)).Result);
        Assert.Equal(new OutcomeCounts { Clicks = 1, ClickedExposures = 1 }, _outcomes.Total(CohortKey));
    }

    [Fact]
    public void A_state_stored_with_the_redis_position_shape_keeps_its_dedupe_point()
    {
        const string Stored = """{"Profile":{},"LastApplied":{"EntryId":{"Milliseconds":1700000000123,"Sequence":4,"Timestamp":"2023-11-14T22:13:20.123+00:00"},"EventIndex":2},"CohortId":2,"SegmentationVersion":5,"Transitions":[{"From":null,"To":2,"At":"2026-03-01T12:00:00+00:00","SegmentationVersion":5}],"RecentRecommendationIds":["0190f3a2c1d24b7e8a9b0c1d2e3f4a5b"]}""";

        var state = JsonSerializer.Deserialize<UserState>(Stored)!;

        Assert.Equal(new LogPosition(1_700_000_000_123, 4, 2), state.LastApplied);
        Assert.True(state.IsApplied(new LogPosition(1_700_000_000_123, 4, 2)));
        Assert.False(state.IsApplied(new LogPosition(1_700_000_000_123, 5, 0)));
        Assert.Equal(2, state.CohortId);
        Assert.Equal(new CohortChange(null, 2, T0, 5), Assert.Single(state.Transitions));
        Assert.Equal(0, state.Recommendations.Count);
        Assert.DoesNotContain("Recommendations", JsonSerializer.Serialize(state), StringComparison.Ordinal);
        Assert.Equal(state.LastApplied, JsonSerializer.Deserialize<UserState>(JsonSerializer.Serialize(state))!.LastApplied);
    }
}
