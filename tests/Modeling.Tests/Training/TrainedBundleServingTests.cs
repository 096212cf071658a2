using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

public sealed class TrainedBundleServingTests
{
    [Fact]
    public void A_trained_bundle_read_from_bytes_serves_known_users_in_their_cohort_without_seen_items()
    {
        var world = TrainingWorld.Create(users: 200, items: 300, days: 14, seed: 5);
        var bundle = ModelBundle.FromBytes(TrainingPipeline.Run(world.Input, new TrainingOptions()).ToBytes());

        foreach (var user in world.World.Users.Take(20))
        {
            var u = bundle.UserIndex(user.Id)!.Value;
            var seen = new HashSet<string>();
            foreach (var item in bundle.UserItems.RowColumns(u))
            {
                seen.Add(bundle.ItemIds[item]);
            }

            var result = RecommendationPipeline.Recommend(bundle, new ServingRequest
            {
                UserId = user.Id,
                CohortId = bundle.TrainedCohortOf(user.Id),
                Excluded = seen,
                Now = TrainingWorld.End,
                Explore = false,
            });

            Assert.Equal(bundle.Version, result.ModelVersion);
            Assert.Equal(10, result.Items.Count);
            Assert.DoesNotContain(result.Items, i => seen.Contains(i.ItemId));
            Assert.Equal(result.Items.Count, result.Items.Select(i => i.ItemId).Distinct().Count());
        }
    }
}
