using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>
/// Context beyond the device: the synthetic world plants one preference (sessions from <c>referrer=social</c> favour
/// one category); training learns it with the device's shrinkage, and it changes the ranking only in that context.
/// </summary>
public sealed class ContextKeyTests
{
    private static readonly PlantedContext Plant = new() { Category = 2, Strength = 0.4 };

    private static readonly Lazy<(TrainingWorld World, ModelBundle Bundle)> Trained = new(() =>
    {
        var world = TrainingWorld.Create(users: 400, items: 400, days: 20, context: Plant, categories: 8);
        return (world, TrainingPipeline.Run(world.Input, new TrainingOptions()));
    });

    private static string PlantedCategory => Trained.Value.World.World.Categories[Plant.Category];

    private static bool IsPlanted(ModelBundle bundle, int item) =>
        bundle.Items[item].Categories is [var c, ..] && c == PlantedCategory;

    private static double MeanLift(ModelBundle bundle, string value, bool planted)
    {
        var sum = 0.0;
        var n = 0;
        for (var i = 0; i < bundle.ItemIds.Count; i++)
        {
            if (IsPlanted(bundle, i) == planted)
            {
                sum += bundle.Context.ValueLift(i, Plant.Key, value);
                n++;
            }
        }

        return sum / n;
    }

    [Fact]
    public void Training_learns_the_planted_context_preference_and_no_other()
    {
        var bundle = Trained.Value.Bundle;

        Assert.Contains(Plant.Key, bundle.Context.Keys);
        Assert.Equal(["direct", "search", "social"], bundle.Context.ValuesOf(Plant.Key).Order());
        // Under social the planted category is used far more than the rest (which the plant displaces). Direct and search
        // carry no preference: they see the same lifts (the planted items a little below 1 there, because their share
        // went to social), so the statistics tell the two apart by nothing.
        var social = MeanLift(bundle, "social", planted: true) / MeanLift(bundle, "social", planted: false);
        Assert.True(social > 1.8, $"planted / other items under social: {social:F3}");
        foreach (var planted in new[] { true, false })
        {
            var direct = MeanLift(bundle, "direct", planted);
            var search = MeanLift(bundle, "search", planted);
            Assert.True(Math.Abs(direct - search) < 0.06, $"planted={planted}: direct {direct:F3}, search {search:F3}");
        }
    }

    [Fact]
    public void The_planted_context_lifts_its_category_in_the_ranking_only_in_that_context()
    {
        var bundle = Trained.Value.Bundle;
        var request = new ServingRequest { UserId = "visitor", Now = TrainingWorld.End, Count = 10, Explore = false, Policy = new ServingPolicy(NoExploration.Instance, 1, 0) };
        int Planted(ServingRequest r) => RecommendationPipeline.Recommend(bundle, r).Items.Count(i => IsPlanted(bundle, bundle.ItemIndex(i.ItemId)!.Value));

        var none = Planted(request);
        var social = Planted(request with { Context = new Dictionary<string, string> { [Plant.Key] = "social" } });
        var direct = Planted(request with { Context = new Dictionary<string, string> { [Plant.Key] = "direct" } });
        var unknownKey = Planted(request with { Context = new Dictionary<string, string> { ["pageType"] = "cart" } });

        Assert.True(social >= none + 2, $"planted items in the top 10: {none} without context, {social} from social");
        Assert.True(direct <= none, $"planted items in the top 10: {none} without context, {direct} from direct");
        Assert.Equal(none, unknownKey);
    }

    [Fact]
    public void The_profile_counts_context_values_and_old_profiles_without_them_read_and_write_unchanged()
    {
        var profile = new UserProfile();
        var options = ProfileOptions.Default;
        for (var k = 0; k < 12; k++)
        {
            profile.Apply(new Interaction("u", $"i{k}", InteractionType.View, null, 1_000_000 + k, "mobile", new Dictionary<string, string> { ["referrer"] = k < 3 ? "social" : "direct", ["country"] = $"c{k}" }), null, options);
        }

        Assert.Equal(9, profile.Context!["referrer"]["direct"]);
        Assert.Equal("direct", profile.MostUsed("referrer"));
        Assert.Equal(UserProfile.MaxContextValues, profile.Context["country"].Count);

        var old = new UserProfile();
        old.Apply(new Interaction("u", "i", InteractionType.View, null, 1_000_000, "mobile"), null, options);
        var json = System.Text.Json.JsonSerializer.Serialize(old);
        Assert.DoesNotContain("Context", json, StringComparison.Ordinal);
        Assert.Null(System.Text.Json.JsonSerializer.Deserialize<UserProfile>(json)!.Context);
    }

    [Fact]
    public void The_provisional_cohort_of_a_new_user_reads_the_context()
    {
        var examples = new List<ProvisionalExample>();
        for (var k = 0; k < 200; k++)
        {
            var social = k % 2 == 0;
            examples.Add(new ProvisionalExample(new Dictionary<string, string>(), "mobile", social ? 7 : 3) { Context = new Dictionary<string, string> { ["referrer"] = social ? "social" : "search" } });
        }

        var model = ProvisionalCohortModel.Fit(examples);

        Assert.Equal(7, model.Predict(null, "mobile", new Dictionary<string, string> { ["referrer"] = "social" }));
        Assert.Equal(3, model.Predict(null, "mobile", new Dictionary<string, string> { ["referrer"] = "search" }));
    }

    [Fact]
    public void Context_statistics_of_format_one_still_read_and_format_two_round_trips_the_keys()
    {
        var stats = Trained.Value.Bundle.Context;
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            stats.Write(writer);
        }

        stream.Position = 0;
        var read = ContextStatistics.Read(new BinaryReader(stream));
        Assert.Equal(stats.Keys, read.Keys);
        Assert.Equal(stats.ValueLift(3, Plant.Key, "social"), read.ValueLift(3, Plant.Key, "social"));
        Assert.Equal(stats.Lift(3, "mobile", 9, new Dictionary<string, string> { [Plant.Key] = "social" }), read.Lift(3, "mobile", 9, new Dictionary<string, string> { [Plant.Key] = "social" }));

        // Format 1: device and hour only (what bundles written before context keys hold).
        var v1 = ContextStatistics.Fit(2, [0, 1, 1], ["mobile", "desktop", null], [0L, 3_600_000L, 7_200_000L]);
        using var old = new MemoryStream();
        using (var writer = new BinaryWriter(old, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            v1.Write(writer);
        }

        var bytes = old.ToArray();
        BitConverter.GetBytes(1).CopyTo(bytes, 0);
        var trimmed = bytes[..^(4 + 4)]; // no MaxContextValues, no keys
        var oldRead = ContextStatistics.Read(new BinaryReader(new MemoryStream(trimmed)));
        Assert.Empty(oldRead.Keys);
        Assert.Equal(v1.Lift(1, "desktop", 1), oldRead.Lift(1, "desktop", 1));
    }

    [Fact]
    public void The_schema_keeps_declared_keys_counts_unknown_values_of_a_closed_set_as_other_and_ignores_the_rest()
    {
        var schema = ContextSchema.Default;

        Assert.Null(schema.Check("Referrer", " SOCIAL ", out var key, out var value));
        Assert.Equal(("referrer", "social"), (key, value));
        Assert.Null(schema.Check("country", "DE", out key, out value));
        Assert.Equal(("country", "de"), (key, value));
        Assert.Null(schema.Check("pageType", "basement", out key, out value));
        Assert.Equal(("pageType", "other"), (key, value));
        var strict = ContextSchema.Create([new ContextKeyDefinition("tier", ["gold", "silver"], 2)]);
        Assert.NotNull(strict.Check("tier", "bronze", out _, out _));
        Assert.NotNull(schema.Check("country", "D E", out _, out _));
        Assert.Null(schema.Check("campaign", "x", out key, out value));
        Assert.Null(key);
        Assert.NotNull(ContextSchema.Validate([new ContextKeyDefinition("a b", [], 4)]));
        Assert.NotNull(ContextSchema.Validate([new ContextKeyDefinition("a", [], 0)]));
    }
}
