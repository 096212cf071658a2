using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Tests.Cohorts;

public sealed class CohortAssignmentTests
{
    [Fact]
    public void Cohorts_from_replayed_training_events_recover_planted_behaviour_types()
    {
        var (data, planted) = WorldData.Create(users: 600, days: 45, seed: 7);

        var cohorts = CohortAssignment.FromTraining(data, new CohortAssignmentOptions { Segmentation = new SegmentationOptions { K = 5 } });

        Assert.Equal(5, cohorts.Count);
        Assert.Equal(data.UserCount, cohorts.UserGroups.Length);
        Assert.Equal(data.UserCount, cohorts.GroupSizes.Sum());
        var ari = ClusterAgreement.AdjustedRandIndex(planted, cohorts.UserGroups);
        Assert.True(ari >= 0.6, $"ARI {ari:F3}; labels: {string.Join(", ", cohorts.Labels)}");
    }

    [Fact]
    public void Users_without_training_events_stay_unassigned()
    {
        var (data, _) = WorldData.Create(users: 200, days: 20, seed: 3);
        var withoutUser0 = data.Where(r => data.Users[r] != 0);

        var cohorts = CohortAssignment.FromTraining(withoutUser0, new CohortAssignmentOptions { Segmentation = new SegmentationOptions { K = 3 } });

        Assert.Equal(-1, cohorts.UserGroups[0]);
        Assert.Equal(data.UserCount - 1, cohorts.GroupSizes.Sum());
    }
}
