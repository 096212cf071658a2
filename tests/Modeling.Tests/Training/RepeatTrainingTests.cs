using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Repeats;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>Training learns the synthetic world's planted replenishment cycles and ships them in the bundle.</summary>
public sealed class RepeatTrainingTests
{
    private static readonly Lazy<(TrainingWorld World, ModelBundle Bundle)> Trained = new(() =>
    {
        var world = TrainingWorld.Create(users: 300, items: 300, days: 90, seed: 5, repeats: new PlantedRepeats { ShareOfUsers = 0.6 });
        return (world, TrainingPipeline.Run(world.Input, new TrainingOptions { Ranker = false }));
    });

    [Fact]
    public void Training_recovers_the_planted_category_cycles_within_fifteen_percent()
    {
        var (world, bundle) = Trained.Value;
        var repeats = Assert.IsType<RepeatModel>(bundle.Repeats);

        foreach (var cycle in new PlantedRepeats().Cycles)
        {
            var category = world.World.Categories[cycle.Category];
            Assert.True(repeats.CategoryIntervalDays.TryGetValue(category, out var learned), $"no interval for {category}");
            Assert.InRange(learned, cycle.Days * 0.85, cycle.Days * 1.15);
        }
    }

    [Fact]
    public void The_bundle_round_trips_its_repeat_cycles_and_serves_the_same_buy_again_slots()
    {
        var (world, bundle) = Trained.Value;
        var read = ModelBundle.FromBytes(bundle.ToBytes());
        var grocery = world.World.Categories[8];

        int served = 0;
        foreach (var userId in bundle.UserIds.Take(120))
        {
            var request = new ServingRequest
            {
                UserId = userId,
                Now = TrainingWorld.End.AddDays(3),
                Count = 10,
                Explore = false,
                BuyAgainSlots = 2,
                RepeatPolicyOf = id => world.World.TryGetItem(id, out var item) && item.Category == grocery ? RepeatPolicy.Interval : RepeatPolicy.Never,
            };
            var before = RecommendationPipeline.Recommend(bundle, request);
            var after = RecommendationPipeline.Recommend(read, request);
            Assert.Equal(before.Items.Select(i => (i.ItemId, i.Reason, i.BuyAgain)), after.Items.Select(i => (i.ItemId, i.Reason, i.BuyAgain)));
            served += before.Items.Count(i => i.BuyAgain);
            Assert.All(before.Items.Where(i => i.BuyAgain), i => Assert.True(world.World.TryGetItem(i.ItemId, out var item) && item.Category == grocery));
        }

        Assert.True(served > 0, "some user of the planted world has a grocery staple due three days after the log ends");
    }
}
