using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Drift;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

public sealed class DriftOptionsTests
{
    private static CohortlyOptions Read(Dictionary<string, string?> values) =>
        CohortlyConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void Drift_settings_bind_actions_and_thresholds_into_the_detectors_options()
    {
        var options = Read(new()
        {
            ["Cohortly:Drift:Cooldown"] = "01:00:00",
            ["Cohortly:Drift:Window"] = "02:00:00",
            ["Cohortly:Drift:MinImpressions"] = "5000",
            ["Cohortly:Drift:RewardDirection"] = "Both",
            ["Cohortly:Drift:FeaturePsi"] = "0.3",
            ["Cohortly:Drift:Actions:RewardRate"] = "ServeGlobal",
            ["Cohortly:Drift:Actions:CohortShare"] = "Retrain",
        });

        Assert.Equal(TimeSpan.FromHours(1), options.Drift.Cooldown);
        Assert.Equal(DriftAction.ServeGlobal, options.Drift.Actions.For(DriftDetectorKind.RewardRate));
        Assert.Equal(DriftAction.Retrain, options.Drift.Actions.For(DriftDetectorKind.CohortShare));
        Assert.Equal(DriftAction.Retrain, options.Drift.Actions.For(DriftDetectorKind.FallbackShare));
        Assert.Equal(DriftAction.AlertOnly, options.Drift.Actions.For(DriftDetectorKind.FeaturePsi));
        var monitor = options.Drift.Monitor();
        Assert.Equal(120, monitor.RewardRate.MaxBuckets);
        Assert.Equal(5000, monitor.RewardRate.MinTrialsPerSide);
        Assert.Equal(ChangeDirection.Both, monitor.RewardRate.Direction);
        Assert.Equal(ChangeDirection.Increase, monitor.FallbackShare.Direction);
        Assert.Equal(0.3, monitor.FeaturePsi);
    }

    [Theory]
    [InlineData("Cohortly:Drift:Interval", "00:00:30", "Cohortly:Drift:Interval")]
    [InlineData("Cohortly:Drift:Window", "04:00:00", "Cohortly:Drift:Window")]
    [InlineData("Cohortly:Drift:FeaturePsi", "0", "Cohortly:Drift:FeaturePsi")]
    [InlineData("Cohortly:Drift:Actions:RewardRate", "Reboot", "Cohortly:Drift:Actions:RewardRate")]
    public void A_bad_drift_setting_fails_at_start_naming_it(string key, string value, string named)
    {
        var ex = Assert.ThrowsAny<Exception>(() => Read(new() { [key] = value }));

        Assert.True(ex is OptionsValidationException or InvalidOperationException, ex.GetType().Name);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }
}
