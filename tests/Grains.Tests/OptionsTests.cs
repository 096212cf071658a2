using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Cohortly.Grains.Users;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Algorithms;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

public sealed class OptionsTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Durations_bind_as_time_spans()
    {
        var options = CohortlyConfiguration.Read(Config(new()
        {
            ["Cohortly:Users:WriteBehind"] = "00:00:03",
            ["Cohortly:Streams:Retention"] = "2.00:00:00",
            ["Cohortly:Streams:Poll"] = "00:00:00.050",
            ["Cohortly:Training:ModelPoll"] = "00:00:00.250",
        }));

        Assert.Equal(TimeSpan.FromSeconds(3), options.Users.WriteBehind);
        Assert.Equal(TimeSpan.FromDays(2), options.Streams.Retention);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.Streams.Poll);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Training.ModelPoll);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Flush);
    }

    [Fact]
    public void The_retention_sweep_is_bounded_and_named_when_wrong()
    {
        Assert.Equal(TimeSpan.FromHours(1), CohortlyConfiguration.Read(Config(new())).Privacy.RetentionSweep);
        Assert.Equal(TimeSpan.FromMinutes(5), CohortlyConfiguration.Read(Config(new() { ["Cohortly:Privacy:RetentionSweep"] = "00:05:00" })).Privacy.RetentionSweep);
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Privacy:RetentionSweep"] = "00:00:00" })));

        Assert.Contains("Cohortly:Privacy:RetentionSweep", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Idle_deactivation_defaults_to_fifteen_minutes_and_must_not_be_shorter_than_stream_inactivity()
    {
        var defaults = CohortlyConfiguration.Read(Config([]));
        Assert.Equal(TimeSpan.FromMinutes(15), defaults.Users.IdleDeactivation);
        Assert.Equal(100_000, defaults.Silo.DirectoryCacheSize);
        Assert.Equal(TimeSpan.FromSeconds(30), CohortlyConfiguration.Read(Config(new() { ["Cohortly:Users:IdleDeactivation"] = "00:00:30", ["Cohortly:Streams:Inactivity"] = "00:00:10" })).Users.IdleDeactivation);
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Users:IdleDeactivation"] = "00:00:30" })));
        Assert.Contains("Cohortly:Streams:Inactivity must not exceed Cohortly:Users:IdleDeactivation", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duration_out_of_bounds_fails_naming_the_setting()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Users:WriteBehind"] = "00:00:00.500" })));

        Assert.Contains("Cohortly:Users:WriteBehind", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Context_keys_default_to_device_country_referrer_and_page_type_and_a_declared_list_replaces_them()
    {
        Assert.Equal(["device", "country", "referrer", "pageType"], CohortlyConfiguration.Read(Config([])).Context.Schema().Keys.Select(k => k.Name));

        var options = CohortlyConfiguration.Read(Config(new()
        {
            ["Cohortly:Context:Keys:0:Name"] = "device",
            ["Cohortly:Context:Keys:1:Name"] = "channel",
            ["Cohortly:Context:Keys:1:Values:0"] = "app",
            ["Cohortly:Context:Keys:1:Values:1"] = "web",
        }));

        var schema = options.Context.Schema();
        Assert.Equal(["device", "channel"], schema.Keys.Select(k => k.Name));
        Assert.NotNull(schema.Check("channel", "tv", out _, out _));
        Assert.Contains(
            "Cohortly:Context:Keys",
            Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Context:Keys:0:Name"] = "bad key" }))).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void The_attribution_settings_bind_into_the_user_state_options_and_are_bounded()
    {
        var options = CohortlyConfiguration.Read(Config(new()
        {
            ["Cohortly:Users:AttributionWindow"] = "02:00:00",
            ["Cohortly:Users:RecentRecommendations"] = "3",
        }));
        var settings = new UserGrainSettings(Options.Create(options), options.Users.Profile(), new Cohortly.Grains.Hosting.Embedded.EmbeddedBackend());

        Assert.Equal(TimeSpan.FromHours(2), settings.State.AttributionWindow);
        Assert.Equal(3, settings.State.RecentRecommendations);
        Assert.Equal(TimeSpan.FromHours(24), CohortlyConfiguration.Read(Config([])).Users.AttributionWindow);
        Assert.Contains("Cohortly:Users:AttributionWindow", Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Users:AttributionWindow"] = "00:00:10" }))).Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:Users:RecentRecommendations", Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Users:RecentRecommendations"] = "0" }))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_old_unit_suffixed_key_fails_naming_its_replacement_instead_of_being_ignored()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Users:WriteBehindSeconds"] = "1" })));

        Assert.Contains("Cohortly:Users:WriteBehindSeconds", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:Users:WriteBehind,", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class ProfileOptionsTests
{
    [Fact]
    public void Live_users_and_training_share_one_profile_options_instance_read_from_the_users_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cohortly:Users:RecentItems"] = "7",
            ["Cohortly:Users:AffinityHalfLife"] = "3.00:00:00",
            ["Cohortly:Users:SessionGap"] = "00:12:00",
            ["Cohortly:Users:MaxCategories"] = "9",
            ["Cohortly:Users:ExcludedItems"] = "40",
        }).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.AddCohortlyServices(configuration));
        using var host = builder.Build();

        var live = host.Services.GetRequiredService<UserGrainSettings>().Profile;
        var training = host.Services.GetRequiredService<TrainingOptions>().Profile;

        Assert.Same(live, training);
        Assert.Equal(new ProfileOptions { RecentItemCount = 7, AffinityHalfLife = TimeSpan.FromDays(3), SessionGap = TimeSpan.FromMinutes(12), MaxCategories = 9, ExcludedItemCount = 40 }, live);
        Assert.Equal(live, TrainingRegistration.PipelineOptions(configuration).Profile);
    }

    [Fact]
    public void The_old_training_profile_section_fails_naming_the_users_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Cohortly:Training:Profile:RecentItemCount"] = "7" }).Build();

        var ex = Assert.Throws<OptionsValidationException>(() => TrainingRegistration.PipelineOptions(configuration));

        Assert.Contains("Cohortly:Training:Profile", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:Users", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class SegmentationOptionsTests
{
    private static CohortlyOptions Read(Dictionary<string, string?> values) =>
        CohortlyConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void The_algorithm_setting_maps_to_its_type_with_its_parameters()
    {
        Assert.Equal(new KMeansSegmentation(Restarts: 3), Read([]).Segmentation.ToOptions().Algorithm);
        Assert.Equal(new AgglomerativeSegmentation(1500), Read(new() { ["Cohortly:Segmentation:Algorithm"] = "agglomerative", ["Cohortly:Segmentation:AgglomerativeSample"] = "1500" }).Segmentation.ToOptions().Algorithm);
        var dbscan = Read(new() { ["Cohortly:Segmentation:Algorithm"] = "DBSCAN", ["Cohortly:Segmentation:DbscanEpsilon"] = "0.7", ["Cohortly:Segmentation:DbscanMinPoints"] = "12", ["Cohortly:Segmentation:MinSilhouette"] = "0.2" }).Segmentation;
        Assert.Equal(new DbscanSegmentation(0.7, 12, 5000, 10), dbscan.ToOptions().Algorithm);
        Assert.Equal(new SegmentationQualityFloor(0.2, 0.5), dbscan.QualityFloor());
    }

    [Theory]
    [InlineData("Cohortly:Segmentation:Algorithm", "spectral")]
    [InlineData("Cohortly:Segmentation:MinSilhouette", "1.5")]
    [InlineData("Cohortly:Segmentation:MaxNoiseShare", "-0.1")]
    [InlineData("Cohortly:Segmentation:AgglomerativeSample", "20000")]
    [InlineData("Cohortly:Segmentation:DbscanMinPoints", "1")]
    [InlineData("Cohortly:Segmentation:DbscanEpsilon", "-1")]
    [InlineData("Cohortly:Segmentation:SilhouetteSample", "5")]
    public void A_bad_segmentation_setting_fails_at_start_naming_the_key(string key, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Read(new() { [key] = value }));

        var name = key["Cohortly:Segmentation:".Length..];
        Assert.Contains($"Cohortly:Segmentation:{name}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_fits_its_segmentation_with_the_configured_algorithm()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Cohortly:Segmentation:Algorithm"] = "agglomerative", ["Cohortly:Segmentation:SilhouetteSample"] = "700" }).Build();

        var training = TrainingRegistration.PipelineOptions(configuration);

        Assert.IsType<AgglomerativeSegmentation>(training.Segmentation.Algorithm);
        Assert.Equal(700, training.Segmentation.SilhouetteSample);
    }
}
