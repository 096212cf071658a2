using Cohortly.Grains.Training;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

/// <summary>Cohortly:Training:Tuning: training's self-tuning settings, bound with the rest of Cohortly:Training.</summary>
public sealed class TuningOptionsTests
{
    private static TrainingOptions Read(Dictionary<string, string?> settings) =>
        TrainingRegistration.PipelineOptions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    [Fact]
    public void Tuning_is_on_by_default_with_a_budget_of_configurations()
    {
        var tuning = Read([]).Tuning;

        Assert.True(tuning.Enabled);
        Assert.Equal(60, tuning.Budget);
        Assert.Equal(TimeSpan.FromMinutes(10), tuning.Cap);
    }

    [Fact]
    public void Tuning_settings_bind_from_their_section()
    {
        var tuning = Read(new()
        {
            ["Cohortly:Training:Tuning:Enabled"] = "false",
            ["Cohortly:Training:Tuning:Budget"] = "12",
            ["Cohortly:Training:Tuning:Cap"] = "00:00:30",
            ["Cohortly:Training:Tuning:MaxUsers"] = "500",
            ["Cohortly:Training:Tuning:MinGainStandardErrors"] = "1.5",
        }).Tuning;

        Assert.Equal(new TrainingTuningOptions { Enabled = false, Budget = 12, Cap = TimeSpan.FromSeconds(30), MaxUsers = 500, MinGainStandardErrors = 1.5 }, tuning);
    }

    [Fact]
    public void Ease_settings_bind_from_the_training_section_and_ease_is_off_by_default()
    {
        Assert.Equal(0f, Read([]).EaseWeight);

        var options = Read(new()
        {
            ["Cohortly:Training:EaseWeight"] = "0.5",
            ["Cohortly:Training:EaseRegularization"] = "300",
            ["Cohortly:Training:EaseNeighbors"] = "200",
            ["Cohortly:Training:EaseMaxItems"] = "0",
        });

        Assert.Equal((0.5f, 300f, 200, 0), (options.EaseWeight, options.EaseRegularization, options.EaseNeighbors, options.EaseMaxItems));
    }

    [Fact]
    public void A_bad_budget_fails_the_start_naming_the_setting()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Read(new() { ["Cohortly:Training:Tuning:Budget"] = "0" }));

        Assert.Contains("Tuning", e.Message, StringComparison.Ordinal);
        Assert.Contains("Budget", e.Message, StringComparison.Ordinal);
    }
}
