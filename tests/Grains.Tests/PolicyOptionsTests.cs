using Cohortly.Grains.Training;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

/// <summary>The default serving policy training proposes, configured in the API's JSON shape under Cohortly:Training:DefaultPolicy.</summary>
public sealed class PolicyOptionsTests
{
    private static TrainingOptions Read(Dictionary<string, string?> settings) =>
        TrainingRegistration.PipelineOptions(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    [Fact]
    public void Without_settings_training_proposes_the_default_policy() =>
        Assert.Equal(ServingPolicy.Default, Read([]).DefaultPolicy);

    [Fact]
    public void The_default_policy_binds_typed_from_configuration()
    {
        var options = Read(new()
        {
            ["Cohortly:Training:DefaultPolicy:Exploration:Kind"] = "thompson",
            ["Cohortly:Training:DefaultPolicy:Exploration:Alpha"] = "2",
            ["Cohortly:Training:DefaultPolicy:Exploration:Beta"] = "5.5",
            ["Cohortly:Training:DefaultPolicy:DiversityLambda"] = "0.7",
            ["Cohortly:Training:DefaultPolicy:ExplorationSlots"] = "2",
            ["Cohortly:Training:Factors"] = "24",
        });

        Assert.Equal(new ServingPolicy(new ThompsonExploration(2, 5.5), 0.7, 2), options.DefaultPolicy);
        Assert.Equal(24, options.Factors);
    }

    [Fact]
    public void Settings_left_out_keep_the_defaults()
    {
        var options = Read(new() { ["Cohortly:Training:DefaultPolicy:Exploration:Kind"] = "ucb1" });

        Assert.Equal(new ServingPolicy(new Ucb1Exploration(1), ServingPolicy.Default.DiversityLambda, ServingPolicy.Default.ExplorationSlots), options.DefaultPolicy);
    }

    [Theory]
    [InlineData("Exploration:Kind", "ucb", "Cohortly:Training:DefaultPolicy:exploration:kind")]
    [InlineData("Exploration:Epsilon", "2", "Cohortly:Training:DefaultPolicy:exploration:epsilon")]
    [InlineData("DiversityLambda", "-1", "Cohortly:Training:DefaultPolicy:diversityLambda")]
    [InlineData("ExplorationSlots", "many", "Cohortly:Training:DefaultPolicy:explorationSlots")]
    public void A_bad_default_policy_fails_at_start_naming_the_key(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { ["Cohortly:Training:DefaultPolicy:" + key] = value };
        if (!key.StartsWith("Exploration:Kind", StringComparison.Ordinal))
        {
            settings["Cohortly:Training:DefaultPolicy:Exploration:Kind"] = "epsilon-greedy";
        }

        var e = Assert.Throws<OptionsValidationException>(() => Read(settings));

        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DefaultExploration", "thompson", "Cohortly:Training:DefaultPolicy:Exploration:Kind")]
    [InlineData("DefaultEpsilon", "0.2", "Cohortly:Training:DefaultPolicy:Exploration:Epsilon")]
    [InlineData("DefaultDiversityLambda", "0.8", "Cohortly:Training:DefaultPolicy:DiversityLambda")]
    [InlineData("DefaultExplorationSlots", "2", "Cohortly:Training:DefaultPolicy:ExplorationSlots")]
    public void The_old_flat_policy_keys_are_refused_with_their_replacement(string old, string value, string replacement)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Read(new() { ["Cohortly:Training:" + old] = value }));

        Assert.Contains($"Cohortly:Training:{old} is no longer read", e.Message, StringComparison.Ordinal);
        Assert.Contains(replacement, e.Message, StringComparison.Ordinal);
    }
}
