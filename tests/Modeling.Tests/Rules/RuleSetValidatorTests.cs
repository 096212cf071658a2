using System.Text.Json;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Rules;

namespace Cohortly.Modeling.Tests.Rules;

public sealed class RuleSetValidatorTests
{
    private static readonly ItemInfo[] Catalog =
    [
        new("a", ["shoes"], 10),
        new("b", ["shoes"], 20),
        new("c", ["hats"], 30),
        new("d", ["hats"], null),
        new("gone", ["bags"], 5, Available: false),
    ];

    private static List<RuleError> Validate(params MerchandisingRule[] rules) => RuleSetValidator.Validate(new RuleSet { Rules = rules }, Catalog);

    [Fact]
    public void A_valid_set_of_every_kind_passes()
    {
        var errors = Validate(
            new PinRule { Id = "pin", ItemId = "a", Slot = 1 },
            new BoostRule { Id = "boost", Match = new ItemMatch { Categories = ["hats"] }, Factor = 2 },
            new BuryRule { Id = "bury", Match = new ItemMatch { MinPrice = 0, MaxPrice = 15 }, Factor = 0.5 },
            new BlockRule { Id = "block", ItemIds = ["c"] },
            new CategoryCapRule { Id = "cap", Max = 3 },
            new MinimumPriceRule { Id = "min", Price = 5 });

        Assert.Empty(errors);
    }

    [Fact]
    public void Blocking_every_category_is_rejected_at_the_rule_that_empties_the_lists()
    {
        var errors = Validate(new BlockRule { Id = "one", Categories = ["shoes"] }, new BlockRule { Id = "two", Categories = ["hats"] });

        var error = Assert.Single(errors);
        Assert.Equal("rules[1].categories", error.Field);
        Assert.Contains("every available catalog item", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_minimum_price_above_every_priced_item_is_rejected_only_when_nothing_unpriced_is_left()
    {
        // "d" has no price, so a high minimum keeps it: lists are not empty.
        Assert.Empty(Validate(new MinimumPriceRule { Id = "min", Price = 1000 }));

        var errors = Validate(new BlockRule { Id = "no-d", ItemIds = ["d"] }, new MinimumPriceRule { Id = "min", Price = 1000 });

        Assert.Equal("rules[1].price", Assert.Single(errors).Field);
    }

    [Fact]
    public void Emptying_one_cohort_is_rejected_naming_the_cohort()
    {
        var errors = Validate(new BlockRule { Id = "all", Categories = ["shoes", "hats"], CohortId = 3 });

        var error = Assert.Single(errors);
        Assert.Equal("rules[0].categories", error.Field);
        Assert.Contains("cohort 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pin_of_a_hidden_or_unknown_item_is_rejected()
    {
        var errors = Validate(new PinRule { Id = "p1", ItemId = "c", Slot = 1 }, new PinRule { Id = "p2", ItemId = "nope", Slot = 2 }, new BlockRule { Id = "b", ItemIds = ["c"] });

        Assert.Equal(["rules[0].itemId", "rules[1].itemId"], errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData(1.0, "rules[0].factor")]
    [InlineData(4.5, "rules[0].factor")]
    public void A_boost_factor_outside_its_bounds_is_rejected(double factor, string field)
    {
        var errors = Validate(new BoostRule { Id = "x", Match = new ItemMatch { Tags = ["t"] }, Factor = factor });

        Assert.Equal(field, Assert.Single(errors).Field);
    }

    [Fact]
    public void Field_errors_name_each_bad_field()
    {
        var errors = Validate(
            new BuryRule { Id = "bad id!", Match = new ItemMatch(), Factor = 0.1 },
            new CategoryCapRule { Id = "cap", Max = 0 },
            new PinRule { Id = "cap", ItemId = "a", Slot = 0, ValidFrom = DateTimeOffset.UnixEpoch, ValidUntil = DateTimeOffset.UnixEpoch });

        Assert.Equal(
            ["rules[0].id", "rules[0].match", "rules[0].factor", "rules[1].max", "rules[2].validUntil", "rules[2].slot", "rules[2].id"],
            errors.Select(e => e.Field));
    }

    [Fact]
    public void More_rules_than_the_bound_are_rejected()
    {
        var rules = Enumerable.Range(0, RuleSet.MaxRules + 1).Select(i => (MerchandisingRule)new CategoryCapRule { Id = $"c{i}", Max = 2 }).ToArray();

        Assert.Equal("rules", Assert.Single(Validate(rules)).Field);
    }

    [Fact]
    public void Json_reads_any_property_order_and_round_trips_every_kind()
    {
        const string body = """
            {"rules":[
              {"id":"p","itemId":"a","slot":2,"kind":"pin","priority":3,"cohortId":4},
              {"kind":"boost","id":"b","match":{"categories":["hats"],"maxPrice":20},"factor":1.5,"validUntil":"2030-01-01T00:00:00Z"},
              {"kind":"bury","id":"u","match":{"tags":["old"]},"factor":0.5},
              {"kind":"block","id":"k","categories":["bags"]},
              {"kind":"cap","id":"c","category":"shoes","max":2},
              {"kind":"minPrice","id":"m","price":3}
            ]}
            """;

        var set = RuleSetJson.Read(JsonDocument.Parse(body).RootElement, out var error);

        Assert.Null(error);
        Assert.Equal([typeof(PinRule), typeof(BoostRule), typeof(BuryRule), typeof(BlockRule), typeof(CategoryCapRule), typeof(MinimumPriceRule)], set!.Rules.Select(r => r.GetType()));
        Assert.Equal(4, set.Rules[0].CohortId);
        var again = RuleSetJson.ReadStored(RuleSetJson.Write(set));
        Assert.Equal(RuleSetJson.Write(set), RuleSetJson.Write(again));
    }

    [Theory]
    [InlineData("""{"rules":[{"kind":"teleport","id":"x"}]}""", "rules[0]")]
    [InlineData("""{"rules":[{"kind":"boost","id":"x","factor":2}]}""", "rules[0]")]
    [InlineData("""{"rules":[{"kind":"cap","id":"x","max":"two"}]}""", "rules[0].max")]
    [InlineData("""{"rules":[{"kind":"cap","id":"x","max":2,"colour":"red"}]}""", "rules[0]")]
    [InlineData("""{"rulez":[]}""", "rulez")]
    [InlineData("""[]""", "body")]
    public void Malformed_json_names_the_field(string body, string fieldPrefix)
    {
        Assert.Null(RuleSetJson.Read(JsonDocument.Parse(body).RootElement, out var error));
        Assert.StartsWith(fieldPrefix, error!.Value.Field, StringComparison.Ordinal);
    }
}
