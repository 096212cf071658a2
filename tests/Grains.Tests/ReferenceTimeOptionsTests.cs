using Cohortly.Grains.Training;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Configuration;

namespace Cohortly.Grains.Tests;

/// <summary>Cohortly:Training:ReferenceTime: what a training run measures event ages at.</summary>
public sealed class ReferenceTimeOptionsTests
{
    private static TrainingOptions Read(Dictionary<string, string?> settings) =>
        TrainingRegistration.PipelineOptions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    [Fact]
    public void By_default_training_measures_ages_at_the_newest_event() =>
        Assert.Equal(TrainingReferenceTime.NewestEvent, Read([]).ReferenceTime);

    [Fact]
    public void The_wall_clock_can_be_chosen() =>
        Assert.Equal(TrainingReferenceTime.WallClock, Read(new() { ["Cohortly:Training:ReferenceTime"] = "WallClock" }).ReferenceTime);

    [Fact]
    public void An_unknown_reference_fails_naming_the_key()
    {
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Read(new() { ["Cohortly:Training:ReferenceTime"] = "tomorrow" }));

        Assert.Contains("Cohortly:Training", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ReferenceTime", ex.Message, StringComparison.Ordinal);
    }
}
