using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Modeling.Tests.Events;

public sealed class EventTypesTests
{
    [Fact]
    public void Every_interaction_type_has_exactly_one_entry()
    {
        var types = Enum.GetValues<InteractionType>();

        Assert.Equal(InteractionTypes.Count, types.Length);
        Assert.Equal(types.Length, EventTypes.All.Count);
        foreach (var type in types)
        {
            Assert.Single(EventTypes.All, e => e.Type == type);
            Assert.Equal(type, EventTypes.Of(type).Type);
        }
    }

    [Fact]
    public void A_new_enum_member_without_an_entry_fails_here()
    {
        // Numbers are append-only, so a new member gets the next number: the table must reach it.
        var numbers = Enum.GetValues<InteractionType>().Select(t => (int)t).Order().ToArray();

        Assert.Equal(Enumerable.Range(0, numbers.Length), numbers);
        Assert.Equal(numbers, EventTypes.All.Select(e => (int)e.Type));
    }

    [Fact]
    public void Wire_names_are_unique_and_round_trip()
    {
        var names = EventTypes.All.Select(e => e.WireName).ToArray();

        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(names, InteractionTypes.Names);
        foreach (var e in EventTypes.All)
        {
            Assert.True(InteractionTypes.TryParse(e.WireName, out var parsed));
            Assert.Equal(e.Type, parsed);
            Assert.True(InteractionTypes.TryParse(e.WireName.ToUpperInvariant(), out var upper));
            Assert.Equal(e.Type, upper);
        }
    }

    [Theory]
    [InlineData("views")]
    [InlineData("")]
    [InlineData(null)]
    public void An_unknown_wire_name_does_not_parse(string? name) => Assert.False(InteractionTypes.TryParse(name, out _));

    [Fact]
    public void A_number_no_member_has_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => EventTypes.Of((InteractionType)InteractionTypes.Count));

    [Theory]
    [InlineData(InteractionType.View, null, 1)]
    [InlineData(InteractionType.Click, null, 2)]
    [InlineData(InteractionType.AddToCart, null, 4)]
    [InlineData(InteractionType.Purchase, 120.0, 8)]
    [InlineData(InteractionType.Dismiss, null, -2)]
    [InlineData(InteractionType.Rating, 5.0, 3)]
    [InlineData(InteractionType.Rating, 1.0, -1)]
    [InlineData(InteractionType.Rating, 10.0, 4)]
    [InlineData(InteractionType.Rating, 0.0, -2)]
    [InlineData(InteractionType.Rating, double.NaN, 1)]
    [InlineData(InteractionType.Rating, null, 1)]
    public void Stronger_intent_weighs_more_and_a_rating_weighs_by_its_value(InteractionType type, double? value, double weight) =>
        Assert.Equal(weight, EventTypes.Of(type).WeightOf(value));

    [Fact]
    public void Clicks_cart_adds_and_purchases_reward_a_served_item_with_one_each()
    {
        var rewards = EventTypes.All.Where(e => e.Reward is not null).ToDictionary(e => e.Type, e => e.Reward);

        Assert.Equal(new Dictionary<InteractionType, double?> { [InteractionType.Click] = 1, [InteractionType.AddToCart] = 1, [InteractionType.Purchase] = 1 }, rewards);
    }

    [Fact]
    public void Exactly_the_rewarding_types_are_attributed_each_to_its_own_outcome_counter()
    {
        var outcomes = EventTypes.All.Where(e => e.Outcome != AttributedOutcome.None).ToDictionary(e => e.Type, e => e.Outcome);

        Assert.Equal(
            new Dictionary<InteractionType, AttributedOutcome> { [InteractionType.Click] = AttributedOutcome.Click, [InteractionType.AddToCart] = AttributedOutcome.AddToCart, [InteractionType.Purchase] = AttributedOutcome.Purchase },
            outcomes);
        Assert.All(EventTypes.All, e => Assert.Equal(e.Reward is not null, e.Outcome != AttributedOutcome.None));
    }

    [Fact]
    public void Purchases_ratings_and_dismissals_take_the_item_out_of_recommendations() =>
        Assert.Equal(
            [InteractionType.Purchase, InteractionType.Rating, InteractionType.Dismiss],
            EventTypes.All.Where(e => e.ExcludesItem).Select(e => e.Type));

    [Theory]
    [InlineData(InteractionType.View, null, true)]
    [InlineData(InteractionType.Purchase, null, true)]
    [InlineData(InteractionType.Dismiss, null, false)]
    [InlineData(InteractionType.Rating, 4.0, true)]
    [InlineData(InteractionType.Rating, 3.5, false)]
    [InlineData(InteractionType.Rating, null, null)]
    [InlineData(InteractionType.Rating, double.PositiveInfinity, null)]
    public void A_rating_is_positive_at_or_above_the_threshold_and_other_types_by_their_polarity(InteractionType type, double? value, bool? positive) =>
        Assert.Equal(positive, EventTypes.Of(type).IsPositive(value, positiveRating: 4));

    [Theory]
    [InlineData(InteractionType.Purchase, InteractionType.View, true)]
    [InlineData(InteractionType.AddToCart, InteractionType.Click, true)]
    [InlineData(InteractionType.View, InteractionType.Click, false)]
    [InlineData(InteractionType.Click, InteractionType.Click, false)]
    [InlineData(InteractionType.Rating, InteractionType.View, false)]
    [InlineData(InteractionType.Purchase, InteractionType.Rating, false)]
    public void A_stronger_type_replaces_a_weaker_one_and_a_rating_neither_replaces_nor_is_replaced(InteractionType next, InteractionType previous, bool replaces) =>
        Assert.Equal(replaces, EventTypes.Of(next).Outranks(EventTypes.Of(previous)));

    [Theory]
    [InlineData(InteractionType.View, "viewed")]
    [InlineData(InteractionType.Click, "viewed")]
    [InlineData(InteractionType.AddToCart, "added to cart")]
    [InlineData(InteractionType.Purchase, "bought")]
    [InlineData(InteractionType.Rating, "rated")]
    public void Reasons_name_the_interaction_with_its_verb(InteractionType type, string verb) =>
        Assert.Equal(verb, EventTypes.Of(type).Verb);

    [Theory]
    [InlineData(InteractionType.Rating, null, "is required for rating events")]
    [InlineData(InteractionType.Rating, 11.0, "rating value must be between 0 and 10")]
    [InlineData(InteractionType.Rating, -0.5, "rating value must be between 0 and 10")]
    [InlineData(InteractionType.Rating, double.NaN, "must be a finite number")]
    [InlineData(InteractionType.Purchase, 2e9, "must be between 0 and 1000000000 (1e9)")]
    [InlineData(InteractionType.View, -1.0, "must be between 0 and 1000000000 (1e9)")]
    [InlineData(InteractionType.Purchase, null, null)]
    [InlineData(InteractionType.Rating, 10.0, null)]
    [InlineData(InteractionType.Purchase, 1e9, null)]
    public void Values_are_checked_by_the_rule_and_bounds_of_their_type(InteractionType type, double? value, string? problem) =>
        Assert.Equal(problem, InteractionBounds.CheckValue(type, value));

    [Fact]
    public void A_type_that_takes_no_value_rejects_one_and_accepts_none()
    {
        var valueless = EventTypes.Of(InteractionType.View) with { ValueRule = ValueRule.None };

        Assert.Equal("must be left out for view events", InteractionBounds.CheckValue(valueless, 1));
        Assert.Null(InteractionBounds.CheckValue(valueless, null));
    }
}
