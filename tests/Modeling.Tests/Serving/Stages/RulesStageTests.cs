using Cohortly.Modeling.Events;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Rules;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Serving.Stages;

/// <summary>Each rule kind through the whole pipeline, the conflict order, validity windows and the explanation.</summary>
public sealed class RulesStageTests
{
    private static readonly ServingPolicy RelevanceOnly = new(NoExploration.Instance, 1, 0);

    /// <summary>Price of an item in these tests: 1..50 by index, so price bands and minimums are easy to read.</summary>
    private static double PriceOf(int item) => (item % 50) + 1;

    private static ItemInfo? ItemOf(string id)
    {
        var bundle = StageWorld.World.Bundle;
        return bundle.ItemIndex(id) is { } i
            ? new ItemInfo(id, bundle.Items[i].Categories, PriceOf(i), Tags: i % 3 == 0 ? ["sale"] : [])
            : null;
    }

    private static ServingRequest Request(int count, params MerchandisingRule[] rules) => StageWorld.Request(count: count) with
    {
        Policy = RelevanceOnly,
        ItemOf = ItemOf,
        Rules = rules.Length == 0 ? null : RuleBook.Compile(new RuleSet { Rules = rules }),
    };

    private static ServingResult Serve(int count, params MerchandisingRule[] rules) =>
        RecommendationPipeline.Recommend(StageWorld.World.Bundle, Request(count, rules));

    private static string CategoryOf(string id) => StageWorld.World.Bundle.Items[StageWorld.World.Bundle.ItemIndex(id)!.Value].Categories[0];

    private static int IndexOf(ServingResult result, string id) => result.Items.ToList().FindIndex(i => i.ItemId == id);

    [Fact]
    public void A_pin_puts_its_item_at_its_slot_and_names_the_rule()
    {
        var baseline = Serve(30);
        var outsider = baseline.Items[25].ItemId;

        var pinned = Serve(10, new PinRule { Id = "hero", ItemId = outsider, Slot = 3 });

        Assert.Equal(10, pinned.Items.Count);
        Assert.Equal(outsider, pinned.Items[2].ItemId);
        Assert.Equal(["hero"], pinned.Items[2].Rules!);
        Assert.All(pinned.Items.Where(i => i.ItemId != outsider), i => Assert.Null(i.Rules));
        // The rest keeps its order around the pin.
        Assert.Equal(baseline.Items.Take(9).Select(i => i.ItemId), pinned.Items.Where(i => i.ItemId != outsider).Select(i => i.ItemId));
    }

    [Fact]
    public void A_pin_of_an_item_the_user_consumed_or_beyond_the_list_does_nothing()
    {
        var baseline = Serve(10);
        var consumed = baseline.Items[5].ItemId;
        var request = Request(10, new PinRule { Id = "gone", ItemId = consumed, Slot = 1 }, new PinRule { Id = "deep", ItemId = baseline.Items[6].ItemId, Slot = 11 })
            with
        { Excluded = new HashSet<string> { consumed } };

        var result = RecommendationPipeline.Recommend(StageWorld.World.Bundle, request);

        Assert.DoesNotContain(result.Items, i => i.ItemId == consumed);
        Assert.All(result.Items, i => Assert.Null(i.Rules));
    }

    [Fact]
    public void A_boost_lifts_items_of_its_category_by_its_factor()
    {
        var baseline = Serve(30);
        var last = baseline.Items[^1];
        var category = CategoryOf(last.ItemId);

        var boosted = Serve(30, new BoostRule { Id = "push", Match = new ItemMatch { Categories = [category.ToUpperInvariant()] }, Factor = 4 });

        Assert.True(IndexOf(boosted, last.ItemId) < 29, "the boosted item rose");
        var item = boosted.Items[IndexOf(boosted, last.ItemId)];
        Assert.Equal(["push"], item.Rules!);
        Assert.Equal(last.Score >= 0 ? last.Score * 4 : last.Score / 4, item.Score, 6);
        Assert.All(boosted.Items.Where(i => CategoryOf(i.ItemId) != category), i => Assert.Null(i.Rules));
    }

    [Fact]
    public void A_bury_by_price_band_sinks_matching_items()
    {
        var baseline = Serve(30);
        var top = baseline.Items[0];
        var price = PriceOf(StageWorld.World.Bundle.ItemIndex(top.ItemId)!.Value);

        // A long list, so the buried item is still in it however flat the scores below it are.
        var buried = Serve(100, new BuryRule { Id = "sink", Match = new ItemMatch { MinPrice = price, MaxPrice = price + 0.5 }, Factor = 0.25 });

        var at = IndexOf(buried, top.ItemId);
        Assert.True(at > 0, "the buried top item is no longer first but still served");
        Assert.Equal(["sink"], buried.Items[at].Rules!);
    }

    [Fact]
    public void A_boost_by_tag_reads_the_live_catalog()
    {
        var boosted = Serve(30, new BoostRule { Id = "sale", Match = new ItemMatch { Tags = ["SALE"] }, Factor = 2 });

        Assert.Contains(boosted.Items, i => i.Rules is not null);
        Assert.All(boosted.Items, i => Assert.Equal(ItemOf(i.ItemId)!.Tags!.Count > 0, i.Rules?.Contains("sale") == true));
    }

    [Fact]
    public void A_block_hides_items_and_categories_and_the_list_stays_full()
    {
        var baseline = Serve(10);
        var item = baseline.Items[0].ItemId;
        var category = CategoryOf(baseline.Items[1].ItemId);

        var blocked = Serve(10, new BlockRule { Id = "no", ItemIds = [item], Categories = [category] });

        Assert.Equal(10, blocked.Items.Count);
        Assert.DoesNotContain(blocked.Items, i => i.ItemId == item || CategoryOf(i.ItemId) == category);
    }

    [Fact]
    public void A_minimum_price_keeps_only_items_at_or_above_it()
    {
        var result = Serve(10, new MinimumPriceRule { Id = "premium", Price = 30 });

        Assert.Equal(10, result.Items.Count);
        Assert.All(result.Items, i => Assert.True(ItemOf(i.ItemId)!.Price >= 30, $"{i.ItemId} costs {ItemOf(i.ItemId)!.Price}"));
    }

    [Fact]
    public void A_cap_limits_items_per_category_in_one_list()
    {
        // A shopper with history: their list leans to their favourite categories (popularity alone is spread thin).
        var request = Request(12) with { UserId = StageWorld.World.UserId(StageWorld.UserWithHistory()) };
        var baseline = RecommendationPipeline.Recommend(StageWorld.World.Bundle, request);
        var repeated = baseline.Items.GroupBy(i => CategoryOf(i.ItemId)).OrderByDescending(g => g.Count()).First();
        Assert.True(repeated.Count() > 1, "the uncapped list repeats a category");

        var capped = RecommendationPipeline.Recommend(
            StageWorld.World.Bundle,
            Request(12, new CategoryCapRule { Id = "one-each", Category = repeated.Key, Max = 1, Priority = 1 }, new CategoryCapRule { Id = "all", Max = 3 }) with { UserId = request.UserId });

        Assert.Equal(12, capped.Items.Count);
        Assert.Single(capped.Items, i => CategoryOf(i.ItemId) == repeated.Key);
        Assert.Equal(repeated.First().ItemId, capped.Items.First(i => CategoryOf(i.ItemId) == repeated.Key).ItemId);
        Assert.True(capped.Items.GroupBy(i => CategoryOf(i.ItemId)).Max(g => g.Count()) <= 3);
    }

    [Fact]
    public void Of_two_boosts_on_one_item_only_the_higher_priority_applies()
    {
        var category = CategoryOf(Serve(30).Items[^1].ItemId);
        var match = new ItemMatch { Categories = [category] };

        var result = Serve(30, new BoostRule { Id = "low", Priority = 1, Match = match, Factor = 4 }, new BuryRule { Id = "high", Priority = 5, Match = match, Factor = 0.5 });

        var touched = result.Items.Where(i => i.Rules is not null).ToList();
        Assert.NotEmpty(touched);
        Assert.All(touched, i => Assert.Equal(["high"], i.Rules!));
    }

    [Fact]
    public void Of_two_pins_on_one_slot_the_higher_priority_wins_and_a_cohort_rule_beats_a_global_one_of_equal_priority()
    {
        var baseline = Serve(30);
        var (a, b, c) = (baseline.Items[20].ItemId, baseline.Items[21].ItemId, baseline.Items[22].ItemId);
        var request = Request(
            10,
            new PinRule { Id = "a", ItemId = a, Slot = 1, Priority = 1 },
            new PinRule { Id = "b", ItemId = b, Slot = 1, Priority = 9 },
            new PinRule { Id = "c-global", ItemId = c, Slot = 2 },
            new PinRule { Id = "c-cohort", ItemId = c, Slot = 4, CohortId = 101 }) with
        { CohortId = 101 };

        var result = RecommendationPipeline.Recommend(StageWorld.World.Bundle, request);

        Assert.Equal(b, result.Items[0].ItemId);
        Assert.Equal(c, result.Items[3].ItemId);
        Assert.Equal(["c-cohort"], result.Items[3].Rules!);
        Assert.DoesNotContain(result.Items.Take(3), i => i.ItemId == a);
    }

    [Fact]
    public void A_rule_of_another_cohort_does_not_apply()
    {
        var baseline = RecommendationPipeline.Recommend(StageWorld.World.Bundle, Request(10) with { CohortId = 101 });
        var request = Request(10, new BlockRule { Id = "elsewhere", ItemIds = [baseline.Items[0].ItemId], CohortId = 999 }) with { CohortId = 101 };

        var result = RecommendationPipeline.Recommend(StageWorld.World.Bundle, request);

        Assert.Equal(baseline.Items[0].ItemId, result.Items[0].ItemId);
    }

    [Fact]
    public void A_rule_applies_only_within_its_validity_window()
    {
        var baseline = Serve(10);
        var item = baseline.Items[0].ItemId;
        MerchandisingRule Block(DateTimeOffset? from, DateTimeOffset? until) => new BlockRule { Id = "w", ItemIds = [item], ValidFrom = from, ValidUntil = until };
        var now = StageWorld.Now;

        Assert.Equal(item, Serve(10, Block(now.AddMinutes(1), null)).Items[0].ItemId);
        Assert.Equal(item, Serve(10, Block(null, now)).Items[0].ItemId);
        Assert.DoesNotContain(Serve(10, Block(now, now.AddMinutes(1))).Items, i => i.ItemId == item);
    }

    [Fact]
    public void The_explanation_adds_the_rules_part_and_the_parts_still_sum_to_the_score()
    {
        var category = CategoryOf(Serve(30).Items[^1].ItemId);
        var request = Request(30, new BoostRule { Id = "push", Match = new ItemMatch { Categories = [category] }, Factor = 3 }) with { Explain = true };

        var result = RecommendationPipeline.Recommend(StageWorld.World.Bundle, request);

        var boosted = result.Items.First(i => i.Rules is not null);
        Assert.Contains(boosted.Contributions!, c => c.Feature == "rules" && c.Value != 0);
        Assert.All(result.Items, i => Assert.Equal(i.Score, i.Contributions!.Sum(c => c.Value), 4));
    }

    [Fact]
    public void No_rules_or_rules_not_in_effect_leave_the_list_exactly_as_it_was()
    {
        var plain = Serve(10);
        var empty = RecommendationPipeline.Recommend(StageWorld.World.Bundle, Request(10) with { Rules = RuleBook.Empty });
        var expired = Serve(10, new BoostRule { Id = "old", Match = new ItemMatch { MinPrice = 0 }, Factor = 4, ValidUntil = StageWorld.Now.AddDays(-1) });

        foreach (var other in new[] { empty, expired })
        {
            Assert.Equal(plain.Items.Select(i => (i.ItemId, i.Score)), other.Items.Select(i => (i.ItemId, i.Score)));
        }
    }

    [Fact]
    public void Placing_pins_moves_the_logged_decisions_with_their_picks()
    {
        var picks = new (ServingCandidate, bool)[] { (new(-1, "a", 3, 0), false), (new(-1, "b", 2, 1), true) };
        var pins = new List<(ServingCandidate, int)> { (new(-1, "p", 0, 9), 0), (new(-1, "q", 0, 9), 7) };
        SlotDecision[]? decisions = [new SlotDecision(0.9, true, false, 3), new SlotDecision(0.05, false, true, 3)];

        var placed = RulesStage.Place(picks, pins, ref decisions);

        Assert.Equal(["p", "a", "b", "q"], placed.Select(p => p.Item1.Id));
        Assert.Equal([0, 0.9, 0.05, 0], decisions!.Select(d => d.Propensity));
        Assert.True(placed[2].Item2);
    }
}
