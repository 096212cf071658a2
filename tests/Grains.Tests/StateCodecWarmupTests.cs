using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Users;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace Cohortly.Grains.Tests;

public sealed class StateCodecWarmupTests
{
    [Fact]
    public void The_warmup_sample_has_what_a_stored_user_has_and_round_trips_through_the_storage_serializer()
    {
        var json = new SystemTextJsonGrainStorageSerializer(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));
        var serializer = new DeflatedGrainStorageSerializer(json);
        var sample = StateCodecWarmup.Sample();

        var back = serializer.Deserialize<UserState>(serializer.Serialize(sample))!;

        // The paths a reactivation reads: profile counts, the deduplication window, attributes, log position, cohort.
        Assert.Equal(3, back.Profile.TotalEvents);
        Assert.Equal("warmup", back.Attributes!["plan"]);
        Assert.Equal(sample.LastApplied, back.LastApplied);
        Assert.Equal(0, back.CohortId);
        Assert.Equal(json.Serialize(sample).ToString(), json.Serialize(back).ToString());
    }
}
