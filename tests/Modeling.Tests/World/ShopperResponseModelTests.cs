using System.ComponentModel.DataAnnotations;
using Cohortly.Contracts;
using Cohortly.Demo;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.World;

public sealed class ShopperResponseModelTests
{
    private const int Draws = 40_000;

    private static readonly SyntheticWorld World = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 50, Items = 400, Categories = 10 }, seed: 11);

    private static SyntheticUser UserOf(SyntheticWorld world, BehaviorType type) => world.Users.First(u => u.Type == type);

    /// <summary>The item of the user's first favourite category closest to their price preference.</summary>
    private static SyntheticItem Favourite(SyntheticWorld world, SyntheticUser user)
    {
        var category = world.Categories[user.FavoriteCategories[0]];
        return world.Items.Where(i => i.Category == category).MinBy(i => Math.Abs(world.Responses.Taste(user, i) - 1.0))!;
    }

    private static SyntheticItem OffCategory(SyntheticWorld world, SyntheticUser user) =>
        world.Items.First(i => !user.FavoriteCategories.Contains(world.Categories.ToList().IndexOf(i.Category)));

    private static double ClickRate(SyntheticWorld world, SyntheticUser user, SyntheticItem item, int position, string strategy, int seed)
    {
        var rng = new Random(seed);
        var clicks = 0;
        for (var i = 0; i < Draws; i++)
        {
            clicks += world.Responses.Respond(user, item, position, strategy, rng).Clicked ? 1 : 0;
        }

        return clicks / (double)Draws;
    }

    [Fact]
    public void Lower_slots_are_examined_and_clicked_less_by_the_planted_power_law()
    {
        var user = UserOf(World, BehaviorType.BargainHunter);
        var item = Favourite(World, user);

        Assert.Equal(1.0, World.Responses.Examination(0));
        Assert.Equal(Math.Pow(10, -0.8), World.Responses.Examination(9), 12);
        var top = ClickRate(World, user, item, 0, RecommendationPipeline.GlobalModel, seed: 1);
        var tenth = ClickRate(World, user, item, 9, RecommendationPipeline.GlobalModel, seed: 2);

        // Seeded draws: the measured ratio follows (1 + p)^-η within sampling error.
        Assert.InRange(tenth / top, Math.Pow(10, -0.8) * 0.85, Math.Pow(10, -0.8) * 1.15);
        Assert.InRange(top, World.Responses.Click(user, item, 0, RecommendationPipeline.GlobalModel) - 0.015, World.Responses.Click(user, item, 0, RecommendationPipeline.GlobalModel) + 0.015);
    }

    [Fact]
    public void Shoppers_click_what_matches_their_taste_far_more_than_other_categories()
    {
        var user = UserOf(World, BehaviorType.BargainHunter);
        var liked = Favourite(World, user);
        var other = OffCategory(World, user);

        Assert.True(World.Responses.Taste(user, liked) > 0.9, $"taste {World.Responses.Taste(user, liked)}");
        Assert.True(World.Responses.Taste(user, other) <= ShopperResponseModel.OffCategoryTaste);
        var likedRate = ClickRate(World, user, liked, 0, RecommendationPipeline.GlobalModel, seed: 3);
        var otherRate = ClickRate(World, user, other, 0, RecommendationPipeline.GlobalModel, seed: 4);
        Assert.True(likedRate > 5 * otherRate, $"liked {likedRate}, other {otherRate}");
    }

    [Theory]
    [InlineData(RecommendationPipeline.CohortModel, null, RecommendationPipeline.CohortModel)]
    [InlineData(RecommendationPipeline.GlobalModel, null, RecommendationPipeline.GlobalModel)]
    [InlineData(RecommendationPipeline.GlobalModel, "cohort-model", RecommendationPipeline.CohortModel)]
    [InlineData(RecommendationPipeline.CohortModel, "global-baseline", RecommendationPipeline.GlobalModel)]
    [InlineData(RecommendationPipeline.CohortModel, "policy-b", RecommendationPipeline.GlobalModel)]
    public void The_planted_preference_reads_the_experiment_arm_before_the_strategy(string strategy, string? variant, string arm)
    {
        var served = new ServedRecommendation("r", strategy, 1, ["i"], variant is null ? null : "exp", variant);

        Assert.Equal(arm, served.PlantedArm);
    }

    [Fact]
    public void The_cohort_model_lifts_clicks_only_in_the_planted_segments()
    {
        var world = SyntheticWorld.Create(
            new SyntheticWorldOptions { Users = 50, Items = 400, Categories = 10, CohortModelLift = 1.4, CohortModelSegments = [BehaviorType.CategoryLoyalist] },
            seed: 11);
        foreach (var type in Enum.GetValues<BehaviorType>())
        {
            var user = UserOf(world, type);
            var item = Favourite(world, user);
            var cohort = ClickRate(world, user, item, 1, RecommendationPipeline.CohortModel, seed: 5);
            var global = ClickRate(world, user, item, 1, RecommendationPipeline.GlobalModel, seed: 6);
            var popular = ClickRate(world, user, item, 1, "popularity", seed: 7);
            if (type == BehaviorType.CategoryLoyalist)
            {
                Assert.True(world.Responses.PrefersCohortModel(type));
                Assert.InRange(cohort / global, 1.4 * 0.9, 1.4 * 1.1);
                Assert.InRange(popular / global, 0.9, 1.1);
            }
            else
            {
                Assert.False(world.Responses.PrefersCohortModel(type));
                Assert.InRange(cohort / global, 0.9, 1.1);
            }
        }
    }

    [Fact]
    public void A_randomised_comparison_finds_the_planted_lift_in_the_planted_segments_and_nowhere_else()
    {
        // What an experiment switching cohorts between their model and the global one will see: the same lists, served
        // under either strategy at random, answered by the planted truth; per segment a two-proportion z-test on
        // clicked exposures, Holm-adjusted across the five segments.
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 250, Items = 600, Categories = 12 }, seed: 21);
        var byCategory = world.Categories.Select(c => world.Items.Where(i => i.Category == c).ToArray()).ToArray();
        var types = Enum.GetValues<BehaviorType>();
        var exposures = new long[types.Length, 2];
        var clicked = new long[types.Length, 2];
        var rng = new Random(22);
        for (var round = 0; round < 30; round++)
        {
            foreach (var user in world.Users)
            {
                var arm = rng.Next(2);
                var strategy = arm == 1 ? RecommendationPipeline.CohortModel : RecommendationPipeline.GlobalModel;
                var any = false;
                for (var position = 0; position < 10; position++)
                {
                    // Half the slots from a favourite category, half from anywhere: the same mix under both strategies.
                    var favourite = byCategory[user.FavoriteCategories[rng.Next(user.FavoriteCategories.Count)]];
                    var item = position % 2 == 0 ? favourite[rng.Next(favourite.Length)] : world.Items[rng.Next(world.Items.Count)];
                    any |= world.Responses.Respond(user, item, position, strategy, rng).Clicked;
                }

                exposures[(int)user.Type, arm]++;
                clicked[(int)user.Type, arm] += any ? 1 : 0;
            }
        }

        var pValues = new double[types.Length];
        var differences = new double[types.Length];
        foreach (var type in types)
        {
            var t = (int)type;
            var result = TwoProportionZTest.Run(exposures[t, 0], clicked[t, 0], exposures[t, 1], clicked[t, 1]);
            pValues[t] = result.PValue;
            differences[t] = result.Difference;
        }

        var rejected = MultipleTesting.HolmReject(pValues);
        foreach (var type in types)
        {
            var planted = world.Responses.PrefersCohortModel(type);
            Assert.True(planted == rejected[(int)type], $"{type}: planted {planted}, p {pValues[(int)type]:F4}, difference {differences[(int)type]:F3}");
            if (planted)
            {
                Assert.True(differences[(int)type] > 0, $"{type}: the cohort model should win, difference {differences[(int)type]:F3}");
            }
        }
    }

    [Fact]
    public void A_lift_of_one_plants_no_effect_anywhere()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 50, Items = 400, Categories = 10, CohortModelLift = 1.0 }, seed: 11);
        var user = UserOf(world, BehaviorType.FrequentHighSpender);
        var item = Favourite(world, user);

        Assert.Equal(world.Responses.Click(user, item, 2, RecommendationPipeline.GlobalModel), world.Responses.Click(user, item, 2, RecommendationPipeline.CohortModel));
        Assert.True(World.Responses.Click(UserOf(World, BehaviorType.FrequentHighSpender), item, 2, RecommendationPipeline.CohortModel)
            > World.Responses.Click(UserOf(World, BehaviorType.FrequentHighSpender), item, 2, RecommendationPipeline.GlobalModel));
    }

    [Fact]
    public void A_served_session_answers_with_the_response_id_and_the_slot_of_each_item()
    {
        var user = UserOf(World, BehaviorType.FrequentHighSpender);
        var category = World.Categories[user.FavoriteCategories[0]];
        var liked = World.Items.Where(i => i.Category == category).Take(8).Select(i => i.Id).ToList();
        liked.Insert(3, "not-in-this-world");
        var served = new ServedRecommendation("rec-1", RecommendationPipeline.CohortModel, 2, liked);
        var events = new List<SyntheticEvent>();
        var rng = new Random(9);
        for (var i = 0; i < 200; i++)
        {
            events.AddRange(World.Responses.Session(user, served, DateTimeOffset.UnixEpoch, rng));
        }

        Assert.All(events, e => Assert.Equal("rec-1", e.RecommendationId));
        Assert.All(events, e => Assert.Equal(liked[e.Position!.Value], e.ItemId));
        Assert.DoesNotContain(events, e => e.ItemId == "not-in-this-world");
        Assert.Contains(events, e => e.Type == InteractionType.Click);
        Assert.Contains(events, e => e.Type == InteractionType.Purchase && e.Value > 0);
        // Every click follows a view of the same slot; views of the top slot outnumber those of the last.
        Assert.True(events.Count(e => e.Type == InteractionType.View && e.Position == 0) > events.Count(e => e.Type == InteractionType.View && e.Position == 8));
        Assert.True(events.Count(e => e.Type == InteractionType.Click) <= events.Count(e => e.Type == InteractionType.View));
    }

    [Theory]
    [InlineData("CategoryLoyalist, bargainhunter", true)]
    [InlineData("", true)]
    [InlineData("Loyalist", false)]
    [InlineData("7", false)]
    public void Demo_settings_name_the_planted_segments_by_behaviour_type(string segments, bool valid)
    {
        var options = new DemoOptions { CohortModelSegments = segments };
        var results = new List<ValidationResult>();

        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        if (valid)
        {
            Assert.Equal(segments.Length == 0 ? 0 : 2, options.ToWorldOptions().CohortModelSegments.Count);
        }
        else
        {
            Assert.Contains(nameof(DemoOptions.CohortModelSegments), Assert.Single(results).MemberNames);
        }
    }
}
